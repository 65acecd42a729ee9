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

from lexi.data.massive import not_utf8
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
            try:
                rows = _csv_rows(csv_path, columns, context)
            except UnicodeDecodeError as exc:
                raise not_utf8(csv_path, exc) from None
            db.executemany(insert, rows)
        elif json_path.is_file():
            try:
                records = json.loads(json_path.read_text(encoding="utf-8"))
            except json.JSONDecodeError as exc:
                raise LexiError(f"not JSON: {exc.msg}", path=json_path, line=exc.lineno) from exc
            except UnicodeDecodeError as exc:
                raise not_utf8(json_path, exc) from None
            if not isinstance(records, list):
                raise LexiError("expected a JSON array of records", path=json_path)
            for index, record in enumerate(records):
                # sqlite3 cannot store a nested object or array: such an item is malformed too.
                if not isinstance(record, dict) or any(
                    not isinstance(record.get(c, ()), str | int | float | None) for c in columns
                ):
                    context.malformed(
                        json_path, None, f"item {index}: {record!r}", f"keys {columns}"
                    )
                    continue
                db.execute(insert, tuple(record[c] for c in columns))
        else:
            raise LexiError(f"no {table}.csv or {table}.json in the PanLex folder", path=folder)
    db.execute("CREATE INDEX denotation_meaning ON denotation(meaning)")
    db.execute("CREATE INDEX denotation_expr ON denotation(expr)")


def _csv_rows(path: Path, columns: tuple[str, ...], context: ImportContext) -> list[tuple]:
    """The ``columns`` of each row of one PanLex CSV table (short rows are reported)."""
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in columns if c not in (reader.fieldnames or ())]
        if missing:
            raise LexiError(f"missing columns {missing}", path=path, line=1)
        rows = []
        for row in reader:
            if any(row.get(c) is None for c in columns):
                context.malformed(path, reader.line_num, str(row), f"columns {columns}")
                continue
            rows.append(tuple(row[c] for c in columns))
    return rows


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
                try:
                    _load_tables(path, db, context)
                except BaseException:
                    db.close()
                    raise
            elif path.is_file():
                db = _open_snapshot(path)
            else:
                raise LexiError("no such PanLex snapshot", path=path)
            try:
                src = _langvars(db, context.src, context.options.get("src_langvar"), "src")
                tgt = _langvars(db, context.tgt, context.options.get("tgt_langvar"), "tgt")
                sql = PAIRS_SQL.format(src=",".join(map(str, src)), tgt=",".join(map(str, tgt)))
                for source, target, attested in db.execute(sql):
                    yield Entry(source, target, None, float(attested), f"panlex:{attested}")
            except sqlite3.DatabaseError as exc:
                # A damaged snapshot can open and list its tables, then fail mid-query.
                raise LexiError(f"cannot read the PanLex snapshot: {exc}", path=path,
                                hint=SNAPSHOT_HINT) from None
            finally:
                db.close()


SNAPSHOT_HINT = "pass PanLex's SQLite file, or a folder of expr/denotation/langvar CSV or JSON"


def _open_snapshot(path: Path) -> sqlite3.Connection:
    """PanLex's SQLite snapshot, read-only, checked to be one (a view adapts the older
    ``denotationx`` table name)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        # SQLite opens any file lazily: the first query is what says it is not a database.
        names = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
        if "denotation" not in names and "denotationx" in names:
            db.execute("CREATE TEMP VIEW denotation AS SELECT meaning, expr FROM denotationx")
    except sqlite3.DatabaseError as exc:
        db.close()
        raise LexiError(f"not a PanLex SQLite snapshot ({exc})", path=path,
                        hint=SNAPSHOT_HINT) from None
    if not {"expr", "langvar"} <= names:
        db.close()
        raise LexiError("not a PanLex SQLite snapshot (no expr/langvar tables)", path=path,
                        hint=SNAPSHOT_HINT)
    return db
