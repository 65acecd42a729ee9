"""`lexi synth` commands (being built)."""
