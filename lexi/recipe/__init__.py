"""Recipes: YAML files naming a chain of ``lexi`` commands, run make-style.

``config`` loads a recipe and substitutes ``${var}`` variables (``substitute``); ``runner``
runs its steps, skipping those whose inputs (file hashes) and command are unchanged since
they last succeeded (state kept in the run directory); ``bootstrap`` picks the default
recipe and resources for a language; ``multilang`` bootstraps several languages sharing one
English baseline and ``summary`` writes their one summary table. Built-in recipes live in
``recipes/`` beside this file.
"""
