"""What ``lexi bootstrap LANG`` will run with, before anything runs: the language, the task
and every resource (:func:`plan_bootstrap`).

``LANG`` is resolved to one language (``lexi.resources.languages``: an ISO 639 code, BCP-47
tag, MASSIVE locale, SIB-200 code or English name). Each resource comes from the explicit
option first, then the data root (``--data-root`` / ``$LEXI_DATA_ROOT``, laid out like
lexi's reference data; UniMorph tables also from ``$UNIMORPH``), then lexi's cache (files
fetched before), then the catalog (fetched into the cache when the run starts:
:mod:`lexi.resources.remote`); file names are derived from the resolved identity, not only
from ``languages.yml``. Every lexicon given or found is used, the ones given first, merged
in priority order; the catalog's lists are fetched only when there is no local one.

The task: MASSIVE when the language's MASSIVE test file is given or found locally, else
SIB-200 when its test split is, else whichever the catalog has (MASSIVE first), else
``none``: no test set, so the run synthesises and trains but cannot score. The
self-training pool follows the test set (its train split) unless given or refused:
:mod:`lexi.recipe.pool`.
"""

from __future__ import annotations

import dataclasses
import shlex
from dataclasses import dataclass
from pathlib import Path

import langcodes

from lexi.errors import LexiError
from lexi.recipe.found import LOCATED, Found, Resources
from lexi.recipe.pool import describe_pool, find_pool, pool_variables
from lexi.resources.data_root import (
    DATA_ROOT_ENV,
    Discovery,
    Lookup,
    data_root_path,
    discover,
)
from lexi.resources.languages import (
    KNOWN_RESOURCES_FILE,
    Language,
    load_known_resources,
    resolve_language,
)
from lexi.resources.remote import Remote, RemoteCatalog, load_remote_catalog

LANGUAGES_FILE = KNOWN_RESOURCES_FILE  # lexi's known resources per language
TASKS = ("auto", "massive", "sib200")
# What each task cannot run without (MASSIVE's dev split is the English source's). `none`
# (no test set anywhere) trains on SIB-200's English side and stops before the evaluation.
REQUIRED = {"massive": ("source", "target", "lexicon"),
            "sib200": ("source", "dev", "target", "lexicon"),
            "none": ("source", "dev", "lexicon")}
RECIPES = {"massive": "massive", "sib200": "sib200", "none": "sib200"}
RESOURCES = ("source", "dev", "target", "lexicon", "unimorph", "unlabelled")


@dataclass(frozen=True)
class BootstrapPlan:
    """The language, the task (and why), and every resource, before anything runs.
    ``offer``: public unlabelled text the catalog has for the language (named when the run
    has no pool); ``selftrain``: False with ``--no-selftrain`` (no pool is used)."""

    language: Language
    task: str
    why: str
    root: Path | None
    found: tuple[Found, ...]
    sib200: str | None = None
    locale: str | None = None
    offer: Remote | None = None
    selftrain: bool = True

    @property
    def recipe(self) -> str:
        """The built-in recipe the task runs."""
        return RECIPES[self.task]

    @property
    def until(self) -> str | None:
        """The last step to run: without a test set, the averaged model (no ``eval``;
        :func:`lexi.recipe.bootstrap.bootstrap` goes on to the soup when there is one)."""
        return "average" if self.task == "none" else None

    def get(self, name: str) -> Found:
        return next(f for f in self.found if f.name == name)

    def missing(self) -> list[Found]:
        return [self.get(name) for name in REQUIRED[self.task] if self.get(name).path is None]

    def pending(self) -> list[Remote]:
        """The catalog files the run needs that are not in the cache yet."""
        return [r for f in self.found for r in f.remotes if not r.cached]

    def heading(self) -> str:
        lang = self.language
        return f"{lang.name} ({lang.code}), task {self.task}: {self.why}"

    def check(self, offline: bool = False) -> None:
        """``LexiError`` naming each missing resource and the options and paths tried;
        ``offline``: also when a catalog file is not in the cache yet (one line naming each
        such file, its URL and the cache path to place it at)."""
        missing = self.missing()
        if missing:
            names = [f.name for f in missing]
            detail = "; ".join(f"{f.name}: tried {', '.join(f.tried)}" for f in missing)
            if self.root is None:
                detail += f"; no data root (--data-root or ${DATA_ROOT_ENV})"
            options = " ".join(f"--{name} PATH" for name in names)
            hint = f"pass {options}" + ("" if self.root else
                                        f", or --data-root DIR (or ${DATA_ROOT_ENV})")
            raise LexiError(f"{self.heading()} — missing {', '.join(names)} ({detail})",
                            hint=hint)
        pending = [r for r in self.pending() if not r.local]
        if offline and pending:
            lang = self.language
            files = f"{len(pending)} file{'s' * (len(pending) > 1)}"
            raise LexiError(
                f"offline: {lang.name} ({lang.code}) needs {files} that lexi's cache lacks: "
                + "; ".join(f"{r.what}: {r.by_hand()}" for r in pending),
                hint="or run without --offline to fetch them")

    def fetched(self) -> BootstrapPlan:
        """The same plan once its catalog files are in the cache."""
        return dataclasses.replace(self, found=tuple(f.fetched() for f in self.found))

    def variables(self, work: str | Path | None = None) -> dict[str, str]:
        """The recipe's variables (call :meth:`check` first)."""
        lang = self.language
        path = {f.name: f.path for f in self.found}
        lexicons = self.get("lexicon").paths
        variables = {
            "lang": lang.code,
            "source": str(path["source"]), "dev": str(path["dev"] or path["source"]),
            # No test set: the recipe stops before its evaluation (:attr:`until`).
            "target": "" if path["target"] is None else str(path["target"]),
            # Shell words: the recipe's command takes them as they are, its inputs list
            # each (${paths:lexicon_tsv}).
            "lexicon_tsv": " ".join(shlex.quote(str(p)) for p in lexicons),
        }
        if len(lexicons) > 1:
            variables["lexicon_args"] = "--merge priority"
        if self.task == "massive":
            variables["locale"] = str(self.locale)
        else:
            variables["sib200"] = str(self.sib200)
        if path["unimorph"]:
            # The table is handed to synth so that `-v ops=translate,inflect` can use it;
            # the recipe's default ops stay what measured best (docs/results.md: on MASSIVE
            # sw-KE, translate alone +8.6 points, adding inflect or codeswitch lost most).
            code = _unimorph_code(lang, path["unimorph"])
            variables["unimorph"] = str(path["unimorph"])
            variables["morph_args"] = f"--morph {code} --unimorph {path['unimorph']}"
        # Always set: empty leaves the self-training steps out (their `when:`).
        variables.update(pool_variables(self.get("unlabelled"), self.selftrain))
        if work:
            variables["work"] = str(work)
        return variables

    def describe(self) -> list[str]:
        """What was taken from where, for the progress output and ``--dry-run``."""
        lines = [self.heading()]
        for f in self.found:
            if f.name == "unlabelled":
                pool = describe_pool(f, self.offer, self.selftrain)
                lines += [pool] if pool else []
                continue
            if f.path is None:
                if f.name == "unimorph":
                    lines.append(f"  unimorph: none (inflect unavailable; tried "
                                 f"{', '.join(f.tried)})")
                if f.name == "target" and self.task == "none":
                    lines.append("  target: none (no MASSIVE or SIB-200 test set given, "
                                 "found or catalogued): the run trains but cannot score")
                continue
            if f.more:
                lines.append(f"  {f.name}: {len(f.paths)}, merged in priority order ({f.rule};"
                             " a word's translations come from the first that has it):")
                lines += [f"    {n}. {f.where(p, origin)}"
                          for n, (p, origin) in enumerate(f.used(), 1)]
                continue
            text = f"  {f.name}: {f.where(f.path, f.origin)}"
            if f.others:
                text += (f"; taken: the first of {len(f.others) + 1} found ({f.rule}); "
                         "also: " + ", ".join(str(p) for p in f.others))
            lines.append(text)
        lines += [f"  note: {note}" for note in self.language.notes]
        return lines


def load_languages(path: Path = LANGUAGES_FILE) -> dict[str, Language]:
    """Every language of ``languages.yml``, resolved, by its key."""
    return {code: resolve_language(code) for code in load_known_resources(path)}


def find_language(query: str) -> Language:
    """The language for any code, tag, locale, SIB-200 code or name (``LexiError``
    listing the candidates when there is none or more than one)."""
    return resolve_language(query)


def _unimorph_code(language: Language, path: Path) -> str:
    """The code for ``synth --morph``: the table's own name when it is one of the
    language's codes (unimorph/swc, ~/.unimorph/swc/swc), else the known one."""
    for name in (path.name, path.parent.name):
        if name in language.codes or name == language.unimorph:
            return name
    return language.unimorph or language.iso3


def _given(name: str, path: Path | tuple[Path, ...] | None) -> Path | tuple | None:
    for one in path if isinstance(path, tuple | list) else (path,):
        if one is not None and not one.exists():
            raise LexiError(f"--{name} {one}: no such file or folder",
                            hint=f"give an existing path, or leave --{name} out to look in "
                            "the data root")
    return path


def _lexicons(given: tuple[Path, ...], found: Lookup, order: str,
              remotes: tuple[Remote, ...]) -> Found:
    """Every lexicon, in priority order: the ones given, then the data root's (``order``
    says how those are ordered); a file both given and found counts once. Only when
    there is none of those, the catalog's (``remotes``, in the same order), each from the
    cache or fetched."""
    looked = ("--lexicon", *(str(p) for p in found.tried),
              *(str(r.path) for r in remotes), "the catalog")
    seen = {p.resolve() for p in given}
    used = [(p, "--lexicon") for p in given] + [
        (p, "data root") for p in found.found if p.resolve() not in seen]
    if not used:
        used = [(r.path, "cache" if r.cached else "catalog") for r in remotes]
    if not used:
        return Found("lexicon", None, "", looked)
    if not given:
        rule = order
    else:
        rule = f"--lexicon first, then {order}" if len(used) > len(given) else "as given"
    (first, origin), *more = used
    return Found("lexicon", first, origin, looked, rule=rule if more else "",
                 more=tuple(more), remotes=remotes if not given and not found.found else ())


def _choose_task(task: str, language: Language, given: Resources, found: Discovery,
                 massive: Remote | None, sib200: Remote | None) -> tuple[str, str]:
    """The task and why: a test set given or local (data root, then cache) first, MASSIVE
    before SIB-200 (a TSV given as --target or --source is SIB-200's format), then the
    catalog's (MASSIVE first), else ``none``. ``massive`` and ``sib200`` are the
    catalog's test files for the language (None: not catalogued)."""
    locale = language.massive
    if task == "massive":
        if (not locale and given.target is None and not found.massive_test.found
                and massive is None):
            raise LexiError(f"MASSIVE has no locale for {language.name}",
                            hint="use --task sib200, or pass --target FILE (MASSIVE jsonl)")
        return "massive", "--task massive"
    if task == "sib200":
        return "sib200", "--task sib200"
    tsv = [f"--{n}" for n in ("target", "source") if getattr(given, n) is not None
           and getattr(given, n).suffix == ".tsv"]
    if tsv:
        return "sib200", f"{tsv[0]} is a TSV (SIB-200's format)"
    if locale and given.target is not None:
        return "massive", f"MASSIVE locale {locale}, test file given"
    if found.massive_test.found:
        return "massive", f"MASSIVE test file {found.massive_test.found[0].name} found"
    if massive is not None and massive.cached:
        return "massive", f"MASSIVE test file {massive.path.name} in lexi's cache"
    no_locale = f"MASSIVE has no locale for {language.name}"
    if given.target is not None:
        return "sib200", no_locale
    if found.sib200_test.found or (sib200 is not None and sib200.cached):
        if not locale:
            return "sib200", no_locale
        where = (", ".join(str(p) for p in found.massive_test.tried) if found.root
                 else "no data root")
        return "sib200", f"MASSIVE has {locale} but its test file was not given or found " \
                         f"({where})"
    if massive is not None:
        return "massive", f"{massive.what} from the catalog (no test set given or local)"
    if sib200 is not None:
        return "sib200", f"SIB-200's {sib200.path.parent.name} test split from the catalog " \
                         f"(no test set given or local; {no_locale})"
    return "none", f"no test set: {no_locale}, SIB-200 none given, found or catalogued"


def _pick(name: str, given: Path | None, found: tuple[Path, ...], tried: tuple[Path, ...],
          root: Path | None, rule: str = "", remote: Remote | None = None,
          catalogued: bool = True) -> Found:
    """The given path, else the first found, else ``remote`` (from the cache, or to be
    fetched); ``rule`` says why the first found comes first, ``catalogued`` whether the
    catalog was asked."""
    looked = (f"--{name}", *(str(p) for p in tried))
    if given is not None:
        return Found(name, given, f"--{name}", looked)
    if found:
        first = found[0]
        origin = ("data root" if root is not None and first.is_relative_to(root)
                  else "$UNIMORPH")
        return Found(name, first, origin, looked, tuple(found[1:]),
                     rule if found[1:] else "")
    if remote is not None:
        return Found(name, remote.path, "cache" if remote.cached else "catalog",
                     (*looked, str(remote.path)), remotes=(remote,))
    return Found(name, None, "", (*looked, "the catalog") if catalogued else looked)


def plan_bootstrap(
    lang: str, task: str = "auto", data_root: str | Path | None = None,
    given: Resources | None = None, catalog: str | Path | RemoteCatalog | None = None,
    *, selftrain: bool = True, offline: bool = False,
) -> BootstrapPlan:
    """Resolve ``lang``, choose the task and find every resource; nothing runs and nothing
    is downloaded (``catalog``: the catalog file, default ``$LEXI_CATALOG`` or lexi's).
    ``selftrain=False`` (``--no-selftrain``) uses no self-training pool; ``offline`` plans
    none that would have to be fetched (:mod:`lexi.recipe.pool`)."""
    if task not in TASKS:
        raise LexiError(f"unknown task {task!r}", hint=f"one of {', '.join(TASKS)}")
    language = find_language(lang)
    if language.iso3 == "eng":
        raise LexiError("English is the source language of every recipe",
                        hint="give the target language, e.g. sw, ewe_Latn or Swahili")
    given = Resources(*(_given(name, getattr(given or Resources(), name))
                        for name in RESOURCES))
    root = data_root_path(data_root)
    found = discover(language, root)
    remote = catalog if isinstance(catalog, RemoteCatalog) else load_remote_catalog(catalog)
    catalogued_massive = remote.massive(language)
    code = remote.sib200_code(language)
    catalogued_sib200 = remote.sib200(code, "test") if code else None
    task, why = _choose_task(task, language, given, found, catalogued_massive,
                             catalogued_sib200)

    def in_root(*parts: str) -> tuple[tuple[Path, ...], tuple[Path, ...]]:
        if root is None:
            return (), ()
        path = root.joinpath(*parts)
        return ((path,) if path.exists() else ()), (path,)

    if task == "massive":
        source = _pick("source", given.source, *in_root("massive", "en-US.jsonl"), root,
                       remote=remote.massive(None))
        dev = Found("dev", given.dev or source.path,
                    "--dev" if given.dev else "the source's dev split")
        target = _pick("target", given.target, found.massive_test.found,
                       found.massive_test.tried, root, "the language's MASSIVE locale first",
                       catalogued_massive)
    else:
        source = _pick("source", given.source, *in_root("sib200", "eng_Latn", "train.tsv"),
                       root, remote=remote.sib200(None, "train"))
        dev = _pick("dev", given.dev, *in_root("sib200", "eng_Latn", "dev.tsv"), root,
                    remote=remote.sib200(None, "dev"))
        target = (Found("target", None) if task == "none" else
                  _pick("target", given.target, found.sib200_test.found,
                        found.sib200_test.tried, root, "the language's SIB-200 code first",
                        catalogued_sib200))
    lexicon = _lexicons(given.lexicons, found.lexicons,
                        f"languages.yml's order for {language.code}" if language.lexicons
                        else "GATITOS before WECHSEL", remote.lexicons(language))
    unimorph = _pick("unimorph", given.unimorph, found.unimorph.found, found.unimorph.tried,
                     root, "the data root before $UNIMORPH", catalogued=False)
    unlabelled = find_pool(task, given.unlabelled, target, remote, language,
                           selftrain=selftrain, offline=offline)
    # The SIB-200 code names the run folder; a test set found in the data root or the
    # cache names its own (sib200/aka_Latn/test.tsv when the default twi_Latn is absent).
    sib200 = code or language.sib200 or f"{language.iso3}_{language.script}"
    if task == "sib200" and target.path is not None and target.origin in LOCATED:
        sib200 = target.path.parent.name
    locale = language.massive
    if task == "massive" and target.path is not None and target.origin in LOCATED:
        locale = target.path.name.removesuffix(".jsonl").removesuffix(".partial")
    if task == "massive" and locale is None:
        locale = _likely_locale(language)
    return BootstrapPlan(language, task, why, root,
                         (source, dev, target, lexicon, unimorph, unlabelled), sib200, locale,
                         remote.unlabelled(language), selftrain)


def _likely_locale(language: Language) -> str:
    """A language-TERRITORY locale for a language MASSIVE lacks (ee → ee-GH), for a
    MASSIVE-format test set the user brings."""
    tag = langcodes.Language.get(language.code).maximize()
    return f"{language.code}-{tag.territory}" if tag.territory else language.code
