"""A Hugging Face model id with no way to the hub fails at once and says "offline" (not a
minute of retries and then a missing tokenizer.json); a missing folder says so."""

from __future__ import annotations

import socket

import pytest

from lexi.errors import LexiError
from lexi.model import classifier


@pytest.fixture
def no_network(monkeypatch, tmp_path):
    """No route to the hub (each attempt counted), an empty hub cache, no proxy."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("[Errno -2] Name or service not known")

    monkeypatch.setattr(socket, "create_connection", refuse)
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HTTPS_PROXY", "https_proxy",
                 "ALL_PROXY", "all_proxy", "HF_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path / "hub"))
    classifier.hub_reachable.cache_clear()
    yield attempts
    classifier.hub_reachable.cache_clear()


@pytest.mark.parametrize("load", [classifier.load_tokenizer, classifier.load_encoder])
def test_a_hub_id_offline_says_offline_at_once(no_network, load, monkeypatch):
    import transformers

    def no_download(*args, **kwargs):
        raise AssertionError("transformers was asked to fetch (it would retry for a minute)")

    monkeypatch.setattr(classifier, "_in_hub_cache", lambda model_id: False)
    for auto in ("AutoConfig", "AutoModel", "AutoTokenizer"):
        monkeypatch.setattr(getattr(transformers, auto), "from_pretrained", no_download)
    with pytest.raises(LexiError) as caught:
        load("someone/some-encoder")
    assert len(no_network) == 1  # one connection tried, no retries
    message = str(caught.value)
    assert message.startswith("offline:") and "'someone/some-encoder'" in message
    assert "tokenizer.json" not in message and "--model default" in caught.value.hint


def test_hf_hub_offline_counts_as_offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    classifier.hub_reachable.cache_clear()
    try:
        assert classifier.hub_reachable() is False
    finally:
        classifier.hub_reachable.cache_clear()


def test_a_cached_model_loads_from_the_cache_offline(no_network, monkeypatch):
    monkeypatch.setattr(classifier, "_in_hub_cache", lambda model_id: True)
    assert classifier.hub_kwargs("someone/some-encoder") == {"local_files_only": True}


def test_a_missing_folder_is_not_taken_for_a_hub_id(no_network):
    with pytest.raises(LexiError, match="no such model folder"):
        classifier.load_tokenizer("./models/not-here")
