"""The code's shape: data flows one way, and nothing below the CLI imports it."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "lexi"
# Lowest first: a module may import its own layer and the layers before it, never after.
LAYERS = ["base", "data", "resources", "lexicon", "morph", "synth", "model", "evaluate",
          "recipe", "cli"]


def layer_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else "base"


def lexi_imports(path: Path) -> list[str]:
    """Every ``lexi…`` module a file imports, at any depth (lazy imports count too)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
    return [name for name in found if name == "lexi" or name.startswith("lexi.")]


def test_every_import_goes_down_the_layers():
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        for imported in lexi_imports(path):
            if LAYERS.index(layer_of(imported)) > LAYERS.index(layer_of(module)):
                upward.append(f"{module} imports {imported}")
    assert upward == []


def test_the_layer_list_covers_every_package_folder():
    folders = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert folders <= set(LAYERS)
