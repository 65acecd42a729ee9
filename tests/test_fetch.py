"""`lexi fetch` against a real HTTP server on 127.0.0.1 serving fixture files (no mocks)."""

from __future__ import annotations

import hashlib
import http.server
import json
import sys
import threading
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from lexi.cli.main import app, main
from lexi.errors import LexiError
from lexi.resources import download, fetch, read_catalog

fetch_module = sys.modules["lexi.resources.fetch"]

PAYLOAD = (Path(__file__).parent / "fixtures" / "lexicon" / "small.tsv").read_bytes()
SHA = hashlib.sha256(PAYLOAD).hexdigest()


class FixtureServer(http.server.ThreadingHTTPServer):
    """Serves ``payload`` (PAYLOAD unless a test changes it) at every path, honouring Range;
    ``/truncated/...`` drops the first response halfway, ``/busy/...`` answers 503 once,
    ``/missing/...`` 404; paths with ``/etag/`` send ``etag`` and honour If-Range. Logs
    each request's Range, If-Range and User-Agent.

    A mirror instead: when ``files`` (path → bytes) is set, only those paths are served
    (each with ``etag``; any other is 404), and a path in ``truncate`` drops its first
    response halfway."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.requests: list[tuple[str, str | None]] = []
        self.if_ranges: list[str | None] = []
        self.agents: list[str] = []
        self.payload = PAYLOAD
        self.etag = '"v1"'
        self.files: dict[str, bytes] = {}
        self.truncate: set[str] = set()
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(http.server.BaseHTTPRequestHandler):
    server: FixtureServer

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.requests.append((self.path, self.headers.get("Range")))
            self.server.if_ranges.append(self.headers.get("If-Range"))
            self.server.agents.append(self.headers.get("User-Agent", ""))
            seen = sum(1 for p, _ in self.server.requests if p == self.path)
        payload, with_etag = self.server.payload, "/etag/" in self.path
        if self.server.files:
            payload, with_etag = self.server.files.get(self.path), True
        if self.path.startswith("/missing/") or payload is None:
            self.send_error(404)
            return
        if self.path.startswith("/busy/") and seen == 1:
            self.send_response(503)
            self.send_header("Retry-After", "0")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        start = 0
        rng = self.headers.get("Range")
        if rng and rng.startswith("bytes=") and rng.endswith("-"):
            start = int(rng[6:-1])
        if_range = self.headers.get("If-Range")
        if with_etag and if_range is not None and if_range != self.server.etag:
            start = 0  # RFC 9110: the file changed, so the Range is ignored
        body = payload[start:]
        self.send_response(206 if start else 200)
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(payload) - 1}/{len(payload)}")
        if with_etag:
            self.send_header("ETag", self.server.etag)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        truncated = "/truncated/" in self.path or self.path in self.server.truncate
        if truncated and seen == 1:
            self.wfile.write(body[: len(body) // 2])  # then hang up: a dropped connection
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)


@pytest.fixture
def server():
    srv = FixtureServer()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def write_catalog(path: Path, url: str, sha256: str | None = SHA) -> Path:
    catalog = {"sources": {"demo": {
        "name": "demo", "homepage": "http://example.invalid", "licence": "CC0", "adapter": "tsv",
        "url": url, "languages": {"sw": {"sha256": sha256} if sha256 else {}},
    }}}
    path.write_text(yaml.safe_dump(catalog), encoding="utf-8")
    return path


def test_download_lands_in_the_cache_then_is_reused(server, tmp_path, lexi_home):
    catalog = write_catalog(tmp_path / "c.yml", f"{server.url}/files/en-{{lang}}.tsv")
    result = fetch("demo", "sw", catalog=catalog, backoff_s=0)
    assert result.path == lexi_home / "downloads" / "demo" / "sw" / "en-sw.tsv"
    assert result.path.read_bytes() == PAYLOAD and result.downloaded and result.pinned
    again = fetch("demo", "sw", catalog=catalog, backoff_s=0)
    assert not again.downloaded and again.sha256 == SHA
    assert [p for p, _ in server.requests] == ["/files/en-sw.tsv"]


def test_truncated_download_resumes_with_range(server, tmp_path, lexi_home):
    catalog = write_catalog(tmp_path / "c.yml", f"{server.url}/truncated/en-{{lang}}.tsv")
    result = fetch("demo", "sw", catalog=catalog, backoff_s=0)
    assert result.path.read_bytes() == PAYLOAD
    first, second = server.requests
    assert first[1] is None
    assert second[1] == f"bytes={len(PAYLOAD) // 2}-"
    assert not list(result.path.parent.glob("*.part"))


def test_server_busy_is_retried_politely(server, tmp_path, lexi_home):
    catalog = write_catalog(tmp_path / "c.yml", f"{server.url}/busy/en-{{lang}}.tsv")
    assert fetch("demo", "sw", catalog=catalog, backoff_s=0).path.read_bytes() == PAYLOAD
    assert len(server.requests) == 2
    assert all(agent.startswith("lexi/") for agent in server.agents)


def test_checksum_mismatch_fails_and_leaves_nothing(server, tmp_path, lexi_home):
    wrong = "0" * 64
    catalog = write_catalog(tmp_path / "c.yml", f"{server.url}/files/en-{{lang}}.tsv", wrong)
    with pytest.raises(LexiError, match="checksum mismatch") as info:
        fetch("demo", "sw", catalog=catalog, backoff_s=0)
    assert SHA in str(info.value) and wrong in str(info.value)
    folder = lexi_home / "downloads" / "demo" / "sw"
    assert not folder.exists() or not any(folder.iterdir())


def test_offline_names_the_url_and_the_exact_cache_path(tmp_path, lexi_home):
    url = "http://127.0.0.1:9/files/en-sw.tsv"
    catalog = write_catalog(tmp_path / "c.yml", url)
    with pytest.raises(LexiError) as info:
        fetch("demo", "sw", catalog=catalog, offline=True)
    expected = lexi_home / "downloads" / "demo" / "sw" / "en-sw.tsv"
    assert f"download {url} and place it at {expected}" in str(info.value)
    assert SHA in str(info.value)
    # Once the user has placed the file, --offline uses it.
    expected.parent.mkdir(parents=True)
    expected.write_bytes(PAYLOAD)
    assert fetch("demo", "sw", catalog=catalog, offline=True).path == expected


def test_unreachable_server_says_what_to_place_where(tmp_path, lexi_home):
    # Port 9 (discard) on 127.0.0.1 refuses connections: no network for this URL.
    url = "http://127.0.0.1:9/files/en-sw.tsv"
    catalog = write_catalog(tmp_path / "c.yml", url)
    with pytest.raises(LexiError) as info:
        fetch("demo", "sw", catalog=catalog, retries=1, backoff_s=0)
    expected = lexi_home / "downloads" / "demo" / "sw" / "en-sw.tsv"
    assert "after 2 tries" in str(info.value)
    assert f"download {url} and place it at {expected}" in str(info.value)


def test_missing_file_is_not_retried(server, tmp_path, lexi_home):
    catalog = write_catalog(tmp_path / "c.yml", f"{server.url}/missing/en-{{lang}}.tsv")
    with pytest.raises(LexiError, match="HTTP 404"):
        fetch("demo", "sw", catalog=catalog, backoff_s=0)
    assert len(server.requests) == 1


def test_unknown_language_and_builtin_source(tmp_path, lexi_home):
    catalog = write_catalog(tmp_path / "c.yml", "http://127.0.0.1:9/{lang}.tsv")
    with pytest.raises(LexiError, match="no 'xx' file"):
        fetch("demo", "xx", catalog=catalog)
    with pytest.raises(LexiError, match="needs no download"):
        fetch("cldr", "sw")


def test_cli_fetch_prints_the_path_for_shell_chaining(server, tmp_path, lexi_home):
    catalog = write_catalog(tmp_path / "c.yml", f"{server.url}/files/en-{{lang}}.tsv")
    result = CliRunner().invoke(app, ["fetch", "demo", "--lang", "sw", "--catalog", str(catalog)])
    assert result.exit_code == 0, result.output
    path = Path(result.stdout.strip())
    assert path.read_bytes() == PAYLOAD


def test_manual_source_explains_how_to_get_it(lexi_home):
    with pytest.raises(LexiError, match="manual download") as info:
        fetch("panlex", "sw")
    assert "https://panlex.org/snapshot/" in str(info.value)
    assert "lexi lexicon import panlex" in str(info.value)


# --- reliability: nothing outside the cache, no spliced resumes (issue 16) -------------------


def write_source(path: Path, source: dict, source_id: str = "demo") -> Path:
    """A catalog of one source (the required fields filled in) with ``source``'s fields."""
    entry = {"name": "demo", "homepage": "http://example.invalid", "licence": "CC0",
             "adapter": "tsv", **source}
    path.write_text(yaml.safe_dump({"sources": {source_id: entry}}), encoding="utf-8")
    return path


def files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("source, source_id, lang, message", [
    ({"url": "URL/f.tsv", "languages": {"sw": {"filename": "../../../../x.tsv"}}}, "demo", "sw",
     r"filename '\.\./\.\./\.\./\.\./x\.tsv' contains a path separator"),
    ({"url": "URL/f.tsv", "languages": {"sw": {"filename": "/tmp/x.tsv"}}}, "demo", "sw",
     "contains a path separator"),
    ({"url": "URL/f.tsv", "languages": {"sw": {"filename": ".."}}}, "demo", "sw", "is '..'"),
    ({"url": "URL/f.tsv", "languages": {"..": {}}}, "demo", "..", "language '..' is '..'"),
    ({"url": "URL/{lang}.tsv", "any_language": True}, "demo", "../../x",
     "language code '../../x' contains a path separator"),
    ({"url": "URL/{lang}.tsv", "any_language": True}, "demo", "", "language code '' is empty"),
    ({"url": "URL/f.tsv", "languages": ["sw"]}, "../../x", "sw",
     "source id '../../x' contains a path separator"),
    ({"url": "URL/files/..", "languages": ["sw"]}, "demo", "sw",
     r"the file name for 'sw' \('\.\.'\) is '\.\.'"),
    ({"url": "URL", "languages": ["sw"]}, "demo", "sw", r"\(''\) is empty"),
])
def test_fetch_never_writes_outside_the_cache(server, tmp_path, lexi_home, source, source_id,
                                              lang, message):
    source = {**source, "url": source["url"].replace("URL", server.url)}
    catalog = write_source(tmp_path / "c.yml", source, source_id)
    before = files_under(tmp_path)
    with pytest.raises(LexiError, match=message) as info:
        fetch(source_id, lang, catalog=catalog, backoff_s=0)
    if "language code" not in message:  # a bad catalog entry: the error names the file
        assert info.value.path == str(catalog) and info.value.line
    assert files_under(tmp_path) == before  # no file anywhere, not even a "...part"
    assert server.requests == []


def test_catalog_errors_point_at_the_entry(tmp_path):
    catalog = tmp_path / "c.yml"
    catalog.write_text(
        "sources:\n"
        "  ok:\n    name: a\n    homepage: h\n    licence: l\n    adapter: tsv\n"
        "    languages: [sw]\n"
        "  bad:\n    name: a\n    homepage: h\n    licence: l\n    adapter: tsv\n"
        "    languages:\n      sw: {}\n      tr: {filename: ../x.tsv}\n",
        encoding="utf-8")
    with pytest.raises(LexiError, match="source 'bad', language 'tr'") as info:
        read_catalog(catalog)
    assert info.value.path == str(catalog) and info.value.line == 15


def test_cli_fetch_refuses_a_path_outside_the_cache(tmp_path, lexi_home, capsys):
    catalog = write_source(tmp_path / "c.yml", {"url": "http://127.0.0.1:9/{lang}.tsv",
                                                "any_language": True})
    with pytest.raises(SystemExit) as info:
        main(["fetch", "demo", "--lang", "../../x", "--catalog", str(catalog)])
    assert info.value.code == 2
    assert "language code '../../x' contains a path separator" in capsys.readouterr().err
    assert not (tmp_path / "x").exists() and not (lexi_home.parent / "x").exists()


def test_download_refuses_a_dotdot_destination(tmp_path):
    with pytest.raises(LexiError, match="is '..'"):
        download("http://127.0.0.1:9/files/..", tmp_path / "a" / "..")
    assert not list(tmp_path.rglob("*part*"))


def test_a_cache_link_leading_outside_is_refused(tmp_path, lexi_home):
    outside = tmp_path / "outside"
    outside.mkdir()
    (lexi_home / "downloads" / "demo").mkdir(parents=True)
    (lexi_home / "downloads" / "demo" / "sw").symlink_to(outside)
    catalog = write_catalog(tmp_path / "c.yml", "http://127.0.0.1:9/en-{lang}.tsv")
    with pytest.raises(LexiError, match="resolves outside the cache"):
        fetch("demo", "sw", catalog=catalog, offline=True)


def stale_part(lexi_home: Path, url: str | None = None, validator: str | None = None) -> Path:
    """An old, different file's first half left as ``en-sw.tsv.part`` (and, with ``url``,
    the record of where it came from)."""
    part = lexi_home / "downloads" / "demo" / "sw" / "en-sw.tsv.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"OLD " * (len(PAYLOAD) // 8))
    if url is not None:
        meta = part.with_name(part.name + ".json")
        meta.write_text(json.dumps({"url": url, "validator": validator}))
    return part


def test_unverifiable_part_is_not_spliced_when_nothing_is_pinned(server, tmp_path, lexi_home):
    url = f"{server.url}/files/en-{{lang}}.tsv"
    stale_part(lexi_home)  # no record of its origin, and no checksum in the catalog
    result = fetch("demo", "sw", catalog=write_catalog(tmp_path / "c.yml", url, None),
                   backoff_s=0)
    assert result.path.read_bytes() == PAYLOAD
    assert server.requests == [("/files/en-sw.tsv", None)]  # restarted from zero
    assert sorted(p.name for p in result.path.parent.iterdir()) == ["en-sw.tsv"]


def test_part_from_another_url_restarts(server, tmp_path, lexi_home):
    stale_part(lexi_home, f"{server.url}/etag/old-sw.tsv", '"v1"')
    url = f"{server.url}/etag/en-{{lang}}.tsv"
    result = fetch("demo", "sw", catalog=write_catalog(tmp_path / "c.yml", url, None),
                   backoff_s=0)
    assert result.path.read_bytes() == PAYLOAD
    assert server.requests == [("/etag/en-sw.tsv", None)]


def test_changed_file_comes_back_whole_through_if_range(server, tmp_path, lexi_home):
    url = f"{server.url}/etag/en-sw.tsv"
    part = stale_part(lexi_home, url, '"v0"')  # recorded when the old version was fetched
    have = part.stat().st_size
    result = fetch("demo", "sw", catalog=write_catalog(tmp_path / "c.yml", url, None),
                   backoff_s=0)
    assert server.requests == [("/etag/en-sw.tsv", f"bytes={have}-")]
    assert server.if_ranges == ['"v0"']
    assert result.path.read_bytes() == PAYLOAD  # the server's whole new file, nothing old
    assert not part.exists() and not part.with_name(part.name + ".json").exists()


def test_truncated_download_resumes_with_if_range_without_a_checksum(server, tmp_path,
                                                                     lexi_home):
    url = f"{server.url}/etag/truncated/en-{{lang}}.tsv"
    result = fetch("demo", "sw", catalog=write_catalog(tmp_path / "c.yml", url, None),
                   backoff_s=0)
    assert result.path.read_bytes() == PAYLOAD and not result.pinned
    assert [r for _, r in server.requests] == [None, f"bytes={len(PAYLOAD) // 2}-"]
    assert server.if_ranges == [None, '"v1"']
    assert sorted(p.name for p in result.path.parent.iterdir()) == ["en-sw.tsv"]


def test_file_changed_between_tries_is_restarted_not_spliced(server, tmp_path, lexi_home,
                                                             monkeypatch):
    url = f"{server.url}/etag/truncated/en-{{lang}}.tsv"
    catalog = write_catalog(tmp_path / "c.yml", url, None)
    new = PAYLOAD.replace(b"mama", b"MAMA")
    original_attempt = fetch_module._attempt
    calls = []

    def change_after_first(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # the file is republished between the two tries
            server.payload, server.etag = new, '"v2"'
        return original_attempt(*args, **kwargs)

    monkeypatch.setattr(fetch_module, "_attempt", change_after_first)
    result = fetch("demo", "sw", catalog=catalog, backoff_s=0)
    assert result.path.read_bytes() == new
    assert server.if_ranges == [None, '"v1"']


def test_truncated_download_without_validator_or_checksum_restarts(server, tmp_path,
                                                                   lexi_home):
    url = f"{server.url}/truncated/en-{{lang}}.tsv"
    result = fetch("demo", "sw", catalog=write_catalog(tmp_path / "c.yml", url, None),
                   backoff_s=0)
    assert result.path.read_bytes() == PAYLOAD
    assert [r for _, r in server.requests] == [None, None]  # whole file again, no Range
