"""The operators: seeded, pure functions from one source utterance to synthetic ones.

How they compose (fixed, whatever the order in ``--ops``):

* ``translate`` writes every word the lexicon knows in the target language (longest
  multi-word match first); unknown words are kept or dropped.
* ``codeswitch`` is ``translate`` restricted to a random ``token_ratio`` of the translatable
  words, in a random ``sentence_ratio`` of the sentences (CoSDA-ML); with several lexicons
  each switched word comes from a random one of them.
* ``phonetic`` is ``translate`` whose target words are then written through epitran.
* ``inflect`` is a modifier: every generator puts a translated single word into the form
  the morphology module derives from the English word's analysis (``alarms`` →
  plural of ``kengele``); ``inflect_from`` and ``inflect_pos`` narrow it to table forms
  and to some English parts of speech.
* Slot values follow ``slot_mode`` in every generator.

Each generator writes ``per_utterance`` rows per source row; row ``i`` of generator ``op``
draws all its randomness from a :class:`~lexi.synth.seeded.SeededStream` keyed by (seed,
source id, op, i), so a row does not depend on which other rows, operators or source rows
were produced, nor in what order.

Which words a generator can replace, and with what, comes from the lexicon matcher
(:class:`~lexi.synth.matcher.LexiconMatcher`: longest match, lemmas, numbers), as
:class:`~lexi.synth.sites.Site` records.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, Protocol

from lexi.data.records import Utterance
from lexi.errors import LexiError
from lexi.synth.align import Chunk, render, split_chunks
from lexi.synth.config import GENERATORS, SynthConfig
from lexi.synth.matcher import (
    MEMO_LIMIT,
    Analyzer,
    Lemmatizer,
    LexiconLike,
    LexiconMatcher,
    remember,
)
from lexi.synth.numbers import CldrNumbers, cldr_numbers, resolve_numbers
from lexi.synth.prepared import Prepared, SynthResult
from lexi.synth.seeded import SeededStream
from lexi.synth.sense_prior import SensePrior
from lexi.synth.sites import CLDR, SLOT_LEXICON, UNUSABLE, ChunkMatches, Site, written
from lexi.synth.word_order import reorder, resolve_word_order, row_orders

# Source-row fields that describe the English text and would be false for a synthetic row.
SOURCE_ONLY_FIELDS = ("judgments", "lexi")


class MorphologyLike(Protocol):
    """What synthesis needs of a morphology (:class:`lexi.morph.Morphology`); ``learned``
    is passed (as False) only under ``inflect_from="table"``."""

    def inflect(self, target_lemma: str, source: Any, *, learned: bool = True) -> Any: ...


Transcriber = Callable[[str], str]


class Synthesizer:
    """Turns source utterances into synthetic target-language ones.

    ``lexicons``: one or more source→target lexicons (several: codeswitch mixes them,
    translate picks one per row). ``slot_lexicon``: values for slots (e.g. CLDR weekdays).
    ``analyze``: English analyser (``lexi.morph.english.analyze_english``): a word the
    lexicon lacks is looked up again by its lemma, and ``inflect`` reads the features of
    the analysed sentence. ``lemmatize``: word → its possible lemmas, most likely first
    (``lexi.morph.english.lemma_candidates``); when given, it finds the lemma of a word
    the lexicon lacks instead of ``analyze``, which also works out features nobody reads
    there and costs several times more. ``morphology``: target inflection, needed by
    ``inflect``.
    ``transcribe``: word → phonetic form, needed by ``phonetic``. ``lexicon_names`` label
    lexicons in provenance. ``numbers``: the CLDR speller of numbers, times and calendar
    names (default: :func:`~lexi.synth.numbers.cldr_numbers` of the config's locale);
    ``config.numbers == "auto"`` becomes ``cldr`` when it has spell-out rules, else
    ``lexicon`` (``self.config`` holds the resolved mode). ``sense_prior``: target-language
    text's counts, which reweigh each word's translations
    (:class:`~lexi.synth.sense_prior.SensePrior`).

    Results depend only on the configuration, the resources and the source row; the
    memos the instance keeps (tokenisation, matches, inflections) only save time.
    """

    def __init__(
        self,
        config: SynthConfig,
        lexicons: Sequence[LexiconLike],
        *,
        slot_lexicon: LexiconLike | None = None,
        analyze: Analyzer | None = None,
        morphology: MorphologyLike | None = None,
        transcribe: Transcriber | None = None,
        lexicon_names: Sequence[str] | None = None,
        lemmatize: Lemmatizer | None = None,
        numbers: CldrNumbers | None = None,
        sense_prior: SensePrior | None = None,
    ) -> None:
        if not lexicons:
            raise LexiError("synthesis needs at least one lexicon", hint="pass --lexicon")
        if config.slot_mode == "localise" and slot_lexicon is None:
            raise LexiError(
                "slot mode 'localise' needs a slot lexicon",
                hint="pass --slot-lexicon (e.g. a CLDR lexicon), or use --slot-mode translate",
            )
        if config.inflect and morphology is None:
            raise LexiError("operator 'inflect' needs a morphology", hint="pass --morph LANG")
        if "phonetic" in config.generators and transcribe is None:
            raise LexiError("operator 'phonetic' needs a transcriber", hint="pass --phonetic-lang")
        if numbers is None and config.locale and config.numbers != "keep":
            numbers = cldr_numbers(config.locale)
        mode = resolve_numbers(config.numbers, numbers)
        if mode != config.numbers:
            config = replace(config, numbers=mode)
        # "auto" becomes the classes moved for the locale's language (source: none).
        self.word_order = resolve_word_order(config.word_order, config.locale)
        order = self.word_order.spec if self.word_order else "source"
        if order != config.word_order:
            config = replace(config, word_order=order)
        if self.word_order is not None and analyze is None:
            raise LexiError("--word-order needs the English analyser (lemma fallback on)")
        self.config = config
        self.numbers = numbers if mode != "keep" else None
        # Untranslated words --unknown drops outside slots: all of them, some, or none.
        self._drops: frozenset[str] | None = (
            frozenset(word.lower() for word in config.function_words)
            if config.unknown == "drop-function-words" else None
        )
        self.lexicons = tuple(lexicons)
        self.slot_lexicon = slot_lexicon
        self.analyze = analyze
        self.lemmatize = lemmatize
        self.morphology = morphology
        self.transcribe = transcribe
        self.lexicon_names = tuple(lexicon_names or (f"lexicon{i}" for i in range(len(lexicons))))
        self._params = {op: config.params_for(op) for op in config.generators}
        if sense_prior is not None:  # the text that weighed the senses, in every row
            for params in self._params.values():
                params["sense_text"] = sense_prior.source or "given"
        # Read for every source row: a property of the config that builds a tuple each time.
        self._generators = config.generators
        # The target language, without region, that _check_source compares a row's with.
        self._target_language = config.locale.split("-")[0] if config.locale else None
        self._inflecting = config.inflect
        # The inflect selection, read only when an inflection is not memoised yet: the
        # default (every POS, table + learned) costs nothing per word.
        self._inflect_pos = frozenset(config.inflect_pos) if config.inflect_pos else None
        self._learned = config.inflect_from != "table"
        # The lexicon lookup, with its own memos (matches, senses, lemmas).
        self.matcher = LexiconMatcher(
            self.lexicons, slot_lexicon, slot_mode=config.slot_mode, numbers_mode=mode,
            numbers=self.numbers, analyze=analyze, lemmatize=lemmatize,
            sense_prior=sense_prior,
        )
        # Per-instance memos: each maps arguments to a result that depends on nothing else.
        self._layouts: dict = {}
        self._inflected: dict[tuple, tuple[str, str]] = {}
        self._transcribed: dict[str, str] = {}

    # -- preparing a source row ---------------------------------------------------------

    def prepare(self, utt: Utterance) -> Prepared:
        chunks = split_chunks(utt, self._layouts)
        if len(self._layouts) >= MEMO_LIMIT:
            self._layouts.clear()
        words = sum(sum(chunk.is_word) for chunk in chunks)
        # The source fields every synthetic row of this source carries over.
        metadata = {k: v for k, v in utt.metadata.items() if k not in SOURCE_ONLY_FIELDS}
        return Prepared(utt, chunks, words, metadata=metadata)

    def _analyses(self, prep: Prepared) -> Sequence[Any] | None:
        if prep.analyses is None and self.analyze is not None:
            tokens = prep.tokens
            analyses = self.analyze(tokens) if tokens else ()
            prep.analyses = analyses if len(analyses) == len(tokens) else ()
        return prep.analyses or None

    def matches(self, prep: Prepared, main: int = 0) -> tuple[ChunkMatches, ...]:
        """Per chunk of ``prep``: greedy longest-match sites against lexicon ``main`` (and
        the slot lexicon inside slots; the surface word first, then its lemma), and the
        positions of words with no match."""
        found = prep.matches.get(main)
        if found is None:
            found = prep.matches[main] = tuple(
                self.matcher.chunk_matches(chunk, main) for chunk in prep.chunks
            )
        return found

    def dropped(self, chunk: Chunk, unknown: Sequence[int]) -> Sequence[int]:
        """The positions among ``unknown`` (the chunk's words with no translation) that
        ``--unknown`` drops from a ``translate`` or ``phonetic`` row: none under ``keep``
        or in a slot value (a slot is never shortened), all under ``drop``, those in the
        function words under ``drop-function-words``. ``lexi lexicon coverage`` counts
        drops with this too, so that its figures are what synthesis writes."""
        if not unknown or self.config.unknown == "keep" or chunk.slot is not None:
            return ()
        drops = self._drops  # None: every untranslated word
        if drops is None:
            return unknown
        words = chunk.words
        return [k for k in unknown if words[k].lower() in drops]

    # -- making rows ----------------------------------------------------------------------

    def stream(self, utt_id: str, op: str, index: int) -> SeededStream:
        """The random stream of row ``index`` of ``op`` for source ``utt_id``."""
        return SeededStream(f"{self.config.seed}\x1f{utt_id}\x1f{op}\x1f{index}")

    def synthesize(self, utt: Utterance) -> SynthResult:
        """Every row the configured generators make from ``utt``."""
        self._check_source(utt)
        prep = self.prepare(utt)
        result = SynthResult(utt, [utt] if self.config.keep_source else [], prep.word_count)
        seen = {utt.text}
        result.untranslated = tuple(
            chunk.words[k].lower()
            for chunk, (_, unknown) in zip(prep.chunks, self.matches(prep, 0), strict=True)
            for k in unknown
        )
        tally: list[str] = []  # the numbers of one row, counted if the row is written
        inflect = self._inflecting
        for op in self._generators:
            for index in range(self.config.per_utterance):
                row, replaced, reason = self._row(prep, op, index, result.inflections, tally)
                if row is None:
                    result.skipped[reason] += 1
                elif row.text in seen:
                    result.skipped["unchanged" if row.text == utt.text else "duplicate"] += 1
                else:
                    seen.add(row.text)
                    result.rows.append(row)
                    result.replaced.append(replaced)
                    if tally:
                        result.numbers = result.numbers or Counter()
                        result.numbers.update(tally)
                    if inflect:
                        result.inflected = result.inflected or Counter()
                        result.inflected.update(
                            record["morph"] for record in row.metadata["lexi"]["replaced"]
                            if "morph" in record
                        )
                if tally:
                    tally.clear()
        return result

    def variant(self, utt: Utterance, op: str, index: int = 0) -> Utterance | None:
        """Row ``index`` of generator ``op`` for ``utt`` alone (``None``: nothing to write,
        e.g. no known word or a sentence codeswitch did not select)."""
        if op not in GENERATORS:
            raise LexiError(f"unknown generator {op!r}", hint=f"one of {', '.join(GENERATORS)}")
        self._check_source(utt)
        return self._row(self.prepare(utt), op, index, Counter(), [])[0]

    def _check_source(self, utt: Utterance) -> None:
        # Honest zero-shot: refuse rows already in the target language.
        language = self._target_language
        if language is not None and utt.locale and utt.locale.split("-")[0] == language:
            target = self.config.locale
            raise LexiError(
                f"source row {utt.id} is in {utt.locale}, the target language ({target})",
                hint="synthesis reads source-language (English) data only",
            )

    def _choose(self, site: Site, rng: SeededStream) -> int:
        """The index of the sense to write at ``site``."""
        count = len(site.entries)
        sense = self.config.sense
        if count == 1 or sense == "first":
            return 0
        if sense == "random" or site.cumulative is None:
            return rng.below(count)
        return rng.weighted(site.cumulative)

    def _pick_codeswitch(self, prep: Prepared, rng: SeededStream) -> list[tuple[int, Site]]:
        per_lexicon = [self.matches(prep, main) for main in range(len(self.lexicons))]
        candidates = [
            (ci, site) for matches in per_lexicon
            for ci, (sites, _) in enumerate(matches) for site in sites
        ]
        largest = max(sum(len(sites) for sites, _ in matches) for matches in per_lexicon)
        wanted = round(self.config.token_ratio * largest)
        if wanted == 0 and self.config.token_ratio > 0 and largest:
            wanted = 1
        rng.shuffle(candidates)
        if len(per_lexicon) == 1:
            # One lexicon's sites never overlap (each chunk is matched greedily once).
            return candidates[:wanted]
        taken: set[tuple[int, int]] = set()
        chosen: list[tuple[int, Site]] = []
        for ci, site in candidates:
            if len(chosen) == wanted:
                break
            cells = {(ci, site.token + j) for j in range(site.length)}
            if taken.isdisjoint(cells):
                taken |= cells
                chosen.append((ci, site))
        return chosen

    def _inflect(self, target: str, analysis: Any) -> tuple[str, str]:
        key = (target, analysis.word, analysis.lemma, analysis.pos, analysis.features)
        found = self._inflected.get(key)
        if found is None:
            if self._inflect_pos is not None and analysis.pos not in self._inflect_pos:
                # Not asked: the summary counts it apart from "lemma" (nothing fitted).
                return remember(self._inflected, key, (target, "other_pos"))
            inflection = (self.morphology.inflect(target, analysis) if self._learned
                          else self.morphology.inflect(target, analysis, learned=False))
            form = inflection.form
            if not form or not form.strip() or UNUSABLE.search(form):
                form = target
            found = remember(self._inflected, key, (form, inflection.method))
        return found

    def _phonetic(self, form: str) -> str:
        found = self._transcribed.get(form)
        if found is None:
            spelled = self.transcribe(form)
            usable = spelled.strip() and not UNUSABLE.search(spelled)
            found = remember(self._transcribed, form, spelled if usable else form)
        return found

    def _row(
        self, prep: Prepared, op: str, index: int, inflections: Counter, tally: list[str],
    ) -> tuple[Utterance | None, int, str]:
        """One synthetic row, the number of source words it replaced, and why it is
        missing when it is (``not_selected``, ``unchanged``). ``tally`` receives what the
        report counts of its numbers (:attr:`Site.tally`)."""
        config = self.config
        rng = self.stream(prep.utt.id, op, index)
        main: int | None = None
        if op == "codeswitch":
            if config.sentence_ratio < 1.0 and rng.random() >= config.sentence_ratio:
                return None, 0, "not_selected"
            chosen = self._pick_codeswitch(prep, rng)
        else:
            main = rng.below(len(self.lexicons)) if len(self.lexicons) > 1 else 0
            chosen = [
                (ci, site) for ci, (sites, _) in enumerate(self.matches(prep, main))
                for site in sites
            ]
        if not chosen:
            return None, 0, "unchanged"
        inflect, phonetic = self._inflecting, op == "phonetic"
        several = len(self.lexicons) > 1
        outputs: list[list[str | None]] = [list(chunk.words) for chunk in prep.chunks]
        replaced: list[dict[str, Any]] = []
        replaced_words = 0
        for ci, site in chosen:
            # One unpacking instead of a dozen named-field reads a site (this loop runs for
            # every word a row replaces).
            (token, length, text, _, entries, targets, _, lexicon, _, words, capital,
             counted_as) = site
            if len(entries) == 1:
                entry, form = entries[0], targets[0]
            else:
                choice = self._choose(site, rng)
                entry, form = entries[choice], targets[choice]
            record: dict[str, Any] = {"src": text, "tgt": form, "entry": entry.provenance}
            if inflect and length == 1 and lexicon >= 0:
                analyses = self._analyses(prep)
                if analyses:
                    lemma = entry.target
                    inflected, method = self._inflect(
                        lemma, analyses[prep.chunks[ci].offset + token])
                    inflections[method] += 1
                    if inflected != lemma:
                        form = record["tgt"] = written(inflected, capital)
                        record["lemma"] = lemma
                        record["morph"] = method
            if phonetic:
                if lexicon == CLDR:
                    # Word by word (the transcriber's contract): numbers and times combine
                    # a few words in many ways ("tano asubuhi", "kumi na tano"), and each
                    # word is transcribed once.
                    spelled = " ".join([self._phonetic(word) for word in form.split(" ")])
                else:
                    spelled = self._phonetic(form)
                form = record["tgt"] = written(spelled, capital)
            if lexicon < 0:
                record["lexicon"] = "slot" if lexicon == SLOT_LEXICON else "cldr"
            elif several:
                record["lexicon"] = self.lexicon_names[lexicon]
            if counted_as is not None:
                tally.append(counted_as)
            out = outputs[ci]
            out[token] = form
            if length > 1:
                for j in range(token + 1, token + length):
                    out[j] = None
            replaced.append(record)
            replaced_words += words
        if main is not None and config.unknown != "keep":
            for ci, (_, unknown) in enumerate(prep.matches[main]):
                out = outputs[ci]
                for k in self.dropped(prep.chunks[ci], unknown):
                    out[k] = None
        if main is not None and self.word_order is not None:
            orders = prep.orders.get(main)
            if orders is None and self._analyses(prep):
                orders = prep.orders[main] = row_orders(
                    prep.chunks, prep.analyses, prep.matches[main], self.word_order,
                    slots=config.slot_mode == "translate")
            reorder(outputs, orders or (),
                    initial_is_name=bool(prep.analyses) and prep.analyses[0].pos == "PROPN")
        text, slots = render(prep.chunks, outputs, prep.utt.text)
        metadata = dict(prep.metadata)
        provenance: dict[str, Any] = {
            "source_id": prep.utt.id, "op": op, "index": index, "seed": config.seed,
            "params": dict(self._params.get(op) or config.params_for(op)), "replaced": replaced,
        }
        if main is not None and len(self.lexicons) > 1:
            provenance["lexicon"] = self.lexicon_names[main]
        metadata["lexi"] = provenance
        row = Utterance(
            id=f"{prep.utt.id}-{op}-{index}",
            text=text,
            label=prep.utt.label,
            slots=slots,
            locale=config.locale,
            split=prep.utt.split,
            metadata=metadata,
        )
        return row, replaced_words, ""
