"""`lexi recipe` commands (being built)."""
