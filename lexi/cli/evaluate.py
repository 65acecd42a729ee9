"""`lexi evaluate` commands (being built)."""
