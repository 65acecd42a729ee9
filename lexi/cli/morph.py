"""`lexi morph` commands (being built)."""
