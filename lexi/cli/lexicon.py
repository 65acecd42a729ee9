"""`lexi lexicon` commands (being built)."""
