"""`lexi train` commands (being built)."""
