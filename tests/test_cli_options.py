"""One vocabulary of options across the whole CLI, and help pages that read well.

Walks the command tree (``lexi --help`` and every sub-help) as click objects: a short flag
means one long option everywhere, every parameter says what it is, types read as words,
``--split`` takes ``all`` everywhere, languages are taken in any form.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
import typer.rich_utils
from typer.core import TyperOption
from typer.main import get_command
from typer.testing import CliRunner

from lexi.cli.main import app

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = get_command(app)
runner = CliRunner()


def commands(command=ROOT, path=("lexi",)):
    """(path, click command) for the root and every group and command under it."""
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from commands(sub, (*path, name))


def parameters(hidden: bool = False):
    """(path, parameter) for every parameter of every command, help option included."""
    for path, command in commands():
        ctx = command.make_context(path[-1], [], resilient_parsing=True)
        for param in command.get_params(ctx):
            if bool(getattr(param, "hidden", False)) == hidden:
                yield " ".join(path), param, ctx


def names(param) -> tuple[list[str], list[str]]:
    opts = [*param.opts, *getattr(param, "secondary_opts", [])]
    return [o for o in opts if o.startswith("--")], [o for o in opts if not o.startswith("--")]


def test_the_tree_is_walked():
    paths = {" ".join(path) for path, _ in commands()}
    assert {"lexi train", "lexi eval", "lexi lexicon lookup", "lexi morph inflect",
            "lexi recipe run", "lexi bootstrap"} <= paths
    assert len(paths) > 30


def test_a_short_flag_means_one_long_option_everywhere():
    meaning: dict[str, dict[str, list[str]]] = {}
    short_of: dict[str, dict[str, list[str]]] = {}
    for path, param, _ in parameters():
        if not isinstance(param, TyperOption):
            continue
        longs, shorts = names(param)
        for short in shorts:
            for long in longs:
                meaning.setdefault(short, {}).setdefault(long, []).append(path)
        for long in longs:
            short_of.setdefault(long, {}).setdefault(",".join(shorts), []).append(path)
    clashes = {short: uses for short, uses in meaning.items() if len(uses) > 1}
    assert clashes == {}, f"a short flag with two meanings: {clashes}"
    # ...and a long option that has a short flag has it wherever it appears.
    uneven = {long: uses for long, uses in short_of.items()
              if len(uses) > 1 and any(uses_key for uses_key in uses)}
    assert uneven == {}, f"a long option with and without its short flag: {uneven}"


def test_every_parameter_is_documented():
    missing = [f"{path} {param.name}" for path, param, _ in parameters()
               if not (getattr(param, "help", None) or "").strip()]
    assert missing == []


def test_hidden_options_are_deprecated_spellings_and_still_work(tmp_path):
    hidden = [(path, param) for path, param, _ in parameters(hidden=True)]
    assert hidden, "expected the old spellings to be kept as hidden aliases"
    for path, param in hidden:
        assert param.help.startswith("Deprecated spelling of "), (path, param.name)
    store = tmp_path / "en-sw.sqlite"
    assert runner.invoke(app, ["lexicon", "import", "tsv", str(FIXTURES / "lexicon" / "small.tsv"),
                               "--tgt", "sw", "-o", str(store)]).exit_code == 0
    old = runner.invoke(app, ["lexicon", "lookup", str(store), "-n", "1", "mother"])
    new = runner.invoke(app, ["lexicon", "lookup", str(store), "--top", "1", "mother"])
    assert old.exit_code == new.exit_code == 0
    assert old.stdout == new.stdout and len(new.stdout.splitlines()) == 1
    assert "deprecated" in old.stderr


def test_types_read_as_words():
    python_like = re.compile(r"^<.*>$|\b(bool|int|str|float|list\[.*\]|Path)\b")
    bad = []
    for path, param, ctx in parameters():
        shown = param.display_type_rich(ctx=ctx)
        if isinstance(param, TyperOption) and param.is_flag:
            if shown:
                bad.append(f"{path} {param.name}: flag shows {shown!r}")
        elif not shown or python_like.search(shown):
            bad.append(f"{path} {param.name}: {shown!r}")
    assert bad == []


def _help(path: tuple[str, ...], monkeypatch) -> str:
    monkeypatch.setattr(typer.rich_utils, "MAX_WIDTH", 200)
    result = runner.invoke(app, [*path[1:], "--help"])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_help_pages_keep_what_they_say(monkeypatch):
    """No ``<bool>``-style types, and ``<lang>`` is not swallowed as an HTML tag."""
    for path, command in commands():
        page = _help(path, monkeypatch)
        assert not re.search(r"<(bool|int|str|float|path|list\[[^>]*\])>", page), path
        texts = [command.help or ""] + [getattr(p, "help", "") or "" for p in command.params
                                         if not getattr(p, "hidden", False)]
        for text in texts:
            for tag in re.findall(r"<[A-Za-z][\w-]*>", text):
                assert tag in page, f"{' '.join(path)}: {tag} missing from the help page"
    page = _help(("lexi", "morph", "inflect"), monkeypatch)
    assert "$UNIMORPH/<lang>/<lang>" in page


def test_shell_completion_is_on():
    import os
    import subprocess

    options = {opt for param in ROOT.params for opt in param.opts}
    assert {"--install-completion", "--show-completion"} <= options
    repo = str(Path(__file__).resolve().parents[1])
    done = subprocess.run(
        [sys.executable, "-m", "lexi.cli.main"], capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": repo, "COMP_WORDS": "lexi predict --sp",
             "COMP_CWORD": "2", "_LEXI_COMPLETE": "complete_bash"})
    assert done.stdout.split() == ["--split"], done.stderr


def test_the_shared_names():
    """--data for inputs, -o/--output for what is written, --model only for the encoder."""
    by_option: dict[str, set[str]] = {}
    for path, param, _ in parameters():
        for long in names(param)[0]:
            by_option.setdefault(long, set()).add(path)
    assert by_option["--model"] == {"lexi train"}
    for old in ("--input", "--work", "--dataset"):
        assert old not in by_option, f"{old} is spelt --data / --output now"
    assert {"lexi predict", "lexi eval", "lexi train"} <= by_option["--data"]


def test_train_defaults_are_declared_once_in_the_config():
    from dataclasses import MISSING, fields

    from lexi.model.config import TrainConfig

    defaults = {f.name: f.default if f.default is not MISSING else f.default_factory()
                for f in fields(TrainConfig)
                if (f.default, f.default_factory) != (MISSING, MISSING)}
    command = ROOT.commands["train"]
    compared = 0
    for param in command.params:
        if param.name not in defaults or param.name in ("data", "dev", "output"):
            continue
        expected = defaults[param.name]
        if param.name == "target_modules":
            expected = ",".join(expected)
        assert param.default == expected, param.name
        compared += 1
    assert compared >= 30


def test_split_takes_the_same_values_everywhere(tmp_path):
    splits = [(path, param) for path, param, _ in parameters() if param.name in
              ("split", "dev_split")]
    assert len(splits) >= 8
    for path, param in splits:
        assert "all" in param.help, f"{path} --split does not say it takes `all`"
    data = tmp_path / "toy.jsonl"
    rows = [{"id": str(i), "locale": "en-US", "partition": split, "intent": "greet",
             "utt": "hello there", "annot_utt": "hello there"}
            for i, split in enumerate(["train", "train", "dev", "test"])]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    counted = {}
    for split in ("all", "train", ""):
        result = runner.invoke(app, ["data", "stats", str(data), "--split", split, "--json"])
        assert result.exit_code == 0, result.output
        counted[split] = json.loads(result.stdout)["rows"]
    assert counted == {"all": 4, "train": 2, "": 4}
    from lexi.model.config import TrainConfig

    config = TrainConfig(data=[str(data)], dev=None, output=str(tmp_path / "run"), split="all",
                         dev_split="ALL")
    assert (config.split, config.dev_split) == (None, None)


@pytest.mark.parametrize("form", ["sw", "swa", "sw-KE", "swh_Latn", "Swahili", "swahili"])
def test_languages_in_every_form(form, tmp_path):
    store = tmp_path / "en-sw.sqlite"
    result = runner.invoke(app, ["lexicon", "import", "tsv",
                                 str(FIXTURES / "lexicon" / "small.tsv"), "--tgt", form,
                                 "-o", str(store), "--json"])
    assert result.exit_code == 0, result.output
    stats = runner.invoke(app, ["lexicon", "stats", str(store), "--json"])
    assert json.loads(stats.stdout)["tgt"] == "sw"
    sources = runner.invoke(app, ["lexicon", "sources", "--lang", form, "--json"])
    assert "wechsel" in {row["id"] for row in json.loads(sources.stdout)}
    inflected = runner.invoke(app, ["morph", "inflect", form, "soma", "V;NFIN",
                                    "-t", str(FIXTURES / "morph" / "mini")])
    assert inflected.exit_code == 0, inflected.output
    from lexi.resources.languages import locale_code, unimorph_code

    assert (locale_code(form), unimorph_code(form)) == ("sw-KE", "swc")


def test_a_code_no_language_has_is_kept_as_given():
    from lexi.resources.languages import language_code, locale_code, unimorph_code

    assert (language_code("xyz"), unimorph_code("xyz"), locale_code("sw-TZ")) == \
        ("xyz", "xyz", "sw-TZ")


def test_morph_eval_split_all_scores_dev_and_test(tmp_path):
    from lexi.cli.morph import morph_eval

    lines = "soma\tnisome\tV;SBJV;PRS;1;SG\npika\tnipike\tV;SBJV;PRS;1;SG\n"
    for name in ("swahili-train-low", "swahili-dev", "swahili-test"):
        (tmp_path / name).write_text(lines)
    results = morph_eval(str(tmp_path), ("sw",), ("low",), "all")
    assert {(r.language, r.split) for r in results} == {("swahili", "dev"), ("swahili", "test")}


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
