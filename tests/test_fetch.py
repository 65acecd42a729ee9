"""`lexi fetch` against a real HTTP server on 127.0.0.1 serving fixture files (no mocks)."""

from __future__ import annotations

import hashlib
import http.server
import threading
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from lexi.cli.main import app
from lexi.errors import LexiError
from lexi.resources import fetch

PAYLOAD = (Path(__file__).parent / "fixtures" / "lexicon" / "small.tsv").read_bytes()
SHA = hashlib.sha256(PAYLOAD).hexdigest()


class FixtureServer(http.server.ThreadingHTTPServer):
    """Serves PAYLOAD at every path; ``/truncated/...`` drops the first response halfway,
    ``/busy/...`` answers 503 once, ``/missing/...`` 404. Logs each request's Range and
    User-Agent."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.requests: list[tuple[str, str | None]] = []
        self.agents: list[str] = []
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
            self.server.agents.append(self.headers.get("User-Agent", ""))
            seen = sum(1 for p, _ in self.server.requests if p == self.path)
        if self.path.startswith("/missing/"):
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
        body = PAYLOAD[start:]
        self.send_response(206 if start else 200)
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(PAYLOAD) - 1}/{len(PAYLOAD)}")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        if self.path.startswith("/truncated/") and seen == 1:
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
