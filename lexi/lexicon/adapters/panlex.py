"""``panlex``: PanLex snapshots, as its SQLite database or a folder of CSV or JSON tables.

PanLex stores expressions (``expr``: id, langvar, txt), meanings that link them
(``denotation``: meaning, expr) and language varieties (``langvar``: id, lang_code,
var_code). Two expressions that denote the same meaning translate each other; the number
of meanings a pair shares (how many sources attest it) is its weight.

Language varieties are chosen by ISO 639-3 code (``--src eng --tgt swh``) or exactly with
``-O src_langvar=eng-000 -O tgt_langvar=swh-000`` (PanLex uids).
"""

from __future__ import annotations

import csv
import json
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

from lexi.errors import LexiError
from lexi.lexicon.adapters.base import ImportContext
from lexi.lexicon.model import Entry

TABLES = {
    "expr": ("id", "langvar", "txt"),
    "denotation": ("meaning", "expr"),
    "langvar": ("id", "lang_code", "var_code"),
}
# Column types as in PanLex's own schema, so CSV text compares like the snapshot's integers.
TEXT_COLUMNS = {"txt", "lang_code"}

PAIRS_SQL = """
SELECT se.txt, te.txt, COUNT(DISTINCT sd.meaning) AS attested
FROM denotation sd
JOIN expr se ON se.id = sd.expr
JOIN denotation td ON td.meaning = sd.meaning
JOIN expr te ON te.id = td.expr
WHERE se.langvar IN ({src}) AND te.langvar IN ({tgt})
GROUP BY se.txt, te.txt
ORDER BY se.txt, attested DESC
"""


def _load_tables(folder: Path, db: sqlite3.Connection, context: ImportContext) -> None:
    """Copy ``expr``/``denotation``/``langvar`` from CSV or JSON files into ``db``."""
    for table, columns in TABLES.items():
        typed = (f"{c} {'TEXT' if c in TEXT_COLUMNS else 'INTEGER'}" for c in columns)
        db.execute(f"CREATE TABLE {table} ({', '.join(typed)})")
        csv_path, json_path = folder / f"{table}.csv", folder / f"{table}.json"
        insert = f"INSERT INTO {table} VALUES ({', '.join('?' * len(columns))})"
        if csv_path.is_file():
            with open(csv_path, encoding="utf-8", newline="") as handle:
                reader = csv.DictReader(handle)
                missing = [c for c in columns if c not in (reader.fieldnames or ())]
                if missing:
                    raise LexiError(f"missing columns {missing}", path=csv_path, line=1)
                rows = []
                for row in reader:
                    if any(row.get(c) is None for c in columns):
                        context.malformed(csv_path, reader.line_num, str(row), f"columns {columns}")
                        continue
                    rows.append(tuple(row[c] for c in columns))
                db.executemany(insert, rows)
        elif json_path.is_file():
            try:
                records = json.loads(json_path.read_text(encoding="utf-8"))
            except json.JSONDecodeError as exc:
                raise LexiError(f"not JSON: {exc.msg}", path=json_path, line=exc.lineno) from exc
            for index, record in enumerate(records):
                if not isinstance(record, dict) or any(c not in record for c in columns):
                    context.malformed(
                        json_path, None, f"item {index}: {record!r}", f"keys {columns}"
                    )
                    continue
                db.execute(insert, tuple(record[c] for c in columns))
        else:
            raise LexiError(f"no {table}.csv or {table}.json in the PanLex folder", path=folder)
    db.execute("CREATE INDEX denotation_meaning ON denotation(meaning)")
    db.execute("CREATE INDEX denotation_expr ON denotation(expr)")


def _langvars(db: sqlite3.Connection, code: str, uid: str | None, side: str) -> list[int]:
    if uid:
        lang, _, var = uid.partition("-")
        rows = db.execute(
            "SELECT id FROM langvar WHERE lang_code = ? AND CAST(var_code AS INTEGER) = ?",
            (lang, int(var or 0)),
        ).fetchall()
    else:
        rows = db.execute("SELECT id FROM langvar WHERE lang_code = ?", (code,)).fetchall()
    if not rows:
        raise LexiError(
            f"no PanLex language variety for the {side} language {uid or code!r}",
            hint="PanLex uses ISO 639-3 codes (eng, swh); or pass -O "
                 f"{side}_langvar=eng-000",
        )
    return [int(r[0]) for r in rows]


class PanLexAdapter:
    name = "panlex"
    summary = "PanLex snapshot: its SQLite file, or a folder of expr/denotation/langvar CSV or JSON"
    needs_path = True
    options = {
        "src_langvar": "PanLex uid of the source variety, e.g. eng-000 (default: all of --src)",
        "tgt_langvar": "PanLex uid of the target variety, e.g. swh-000 (default: all of --tgt)",
    }

    def read(self, path: Path | None, context: ImportContext) -> Iterator[Entry]:
        assert path is not None
        with tempfile.TemporaryDirectory(prefix="lexi-panlex-") as scratch:
            if path.is_dir():
                db = sqlite3.connect(Path(scratch) / "panlex.sqlite")
                _load_tables(path, db, context)
            elif path.is_file():
                db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
                names = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
                if "denotation" not in names and "denotationx" in names:
                    db.execute(
                        "CREATE TEMP VIEW denotation AS SELECT meaning, expr FROM denotationx"
                    )
                if not {"expr", "langvar"} <= names:
                    raise LexiError(
                        "not a PanLex SQLite snapshot (no expr/langvar tables)", path=path
                    )
            else:
                raise LexiError("no such PanLex snapshot", path=path)
            try:
                src = _langvars(db, context.src, context.options.get("src_langvar"), "src")
                tgt = _langvars(db, context.tgt, context.options.get("tgt_langvar"), "tgt")
                sql = PAIRS_SQL.format(src=",".join(map(str, src)), tgt=",".join(map(str, tgt)))
                for source, target, attested in db.execute(sql):
                    yield Entry(source, target, None, float(attested), f"panlex:{attested}")
            finally:
                db.close()
