"""The ``lexi`` command line: one module per command group, each command a thin typer
function over a plain Python function that does the work and returns data."""
