"""The code's shape: data flows one way, and nothing below the CLI imports it."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "lexi"
# Lowest first: a module may import its own layer and the layers before it, never after.
# The package root (``lexi/__init__.py``) is the notebook API: it re-exports (lazily)
# functions from every library layer, so it is the top; it never imports ``lexi.cli``, and
# modules take lexi's version from ``lexi.version``, so no import reaches back to it.
LAYERS = ["base", "data", "resources", "lexicon", "morph", "synth", "model", "evaluate",
          "recipe", "cli", "api"]


def layer_of(module: str) -> str:
    if module == "lexi.__init__":  # the file; importing ``lexi`` (its version) is the base
        return "api"
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


def test_nothing_below_the_cli_imports_it():
    """The command modules sit on top: the library never reaches up into ``lexi.cli``."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.relative_to(PACKAGE).parts[0] == "cli":
            continue
        found += [f"{path.relative_to(PACKAGE.parent)} imports {name}"
                  for name in lexi_imports(path) if layer_of(name) == "cli"]
    assert found == []


def module_graph() -> dict[str, set[str]]:
    """Module → the lexi modules it imports (lazy imports too; ``from pkg import mod`` counts
    as importing ``pkg.mod``)."""
    modules = {".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts)
               .removesuffix(".__init__"): p for p in PACKAGE.rglob("*.py")}

    def known(name: str) -> str:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name

    graph = {}
    for module, path in modules.items():
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if node.module == "lexi" or node.module.startswith("lexi."):
                    deps.update(known(f"{node.module}.{alias.name}") for alias in node.names)
            elif isinstance(node, ast.Import):
                deps.update(known(alias.name) for alias in node.names
                            if alias.name == "lexi" or alias.name.startswith("lexi."))
        graph[module] = deps - {module, ""}
    return graph


def test_no_import_circle():
    """No two modules import each other, directly or round a longer loop (lazy imports
    included: a lazy import that closes a loop only hides it)."""
    graph = module_graph()
    circles, done = [], set()

    def visit(module: str, path: list[str]) -> None:
        for dep in sorted(graph[module]):
            if dep in path:
                circles.append(" → ".join(path[path.index(dep):] + [dep]))
            elif dep not in done:
                visit(dep, path + [dep])
        done.add(module)

    for module in sorted(graph):
        if module not in done:
            visit(module, [module])
    assert circles == []


# A module over this many lines holds more than one responsibility: split it.
MAX_LINES = 450
# Modules allowed over the limit while they wait to be split. Empty, and it may only stay
# so or shrink: a file that drops under the limit must leave it (see the second
# assertion), and no file may join it.
OVER_THE_LIMIT: set[str] = set()


def test_no_module_over_the_line_limit():
    sizes = {str(p.relative_to(PACKAGE.parent)): len(p.read_text(encoding="utf-8").splitlines())
             for p in sorted(PACKAGE.rglob("*.py"))}
    too_long = {name: n for name, n in sizes.items()
                if n > MAX_LINES and name not in OVER_THE_LIMIT}
    assert too_long == {}, f"split these modules (at most {MAX_LINES} lines): {too_long}"
    stale = sorted(name for name in OVER_THE_LIMIT if sizes.get(name, 0) <= MAX_LINES)
    assert stale == [], f"under the limit now: remove from OVER_THE_LIMIT: {stale}"
