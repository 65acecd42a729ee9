"""The README's step-by-step chain is the default recipe, command for command."""

from __future__ import annotations

import re
from pathlib import Path

from lexi.recipe.config import load_recipe
from lexi.recipe.runner import shell_script

REPO = Path(__file__).resolve().parents[1]
DATA = "../shared/data"


def test_readme_chain_is_the_massive_recipe():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## A real language, step by step"):]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    marked = [line.split("  # recipe")[0] for line in block.splitlines()
              if line.endswith("# recipe")]
    recipe = load_recipe("massive", {"data_root": DATA, "work": "sw",
                                     "target": f"{DATA}/massive/sw-KE.partial.jsonl"})
    generated = [line.replace(DATA, "$D") for line in shell_script(recipe).splitlines()
                 if line.startswith("lexi ")]
    assert marked == generated
