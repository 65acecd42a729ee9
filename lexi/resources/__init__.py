"""Public resources lexi can use: the catalog of known lexicon sources (``catalog``) and a
polite, resumable, checksum-verifying downloader into lexi's cache (``fetch``)."""

from lexi.resources.catalog import CatalogSource, SourceFile, read_catalog, sources_for
from lexi.resources.fetch import FetchResult, download, fetch

__all__ = [
    "CatalogSource", "FetchResult", "SourceFile", "download", "fetch", "read_catalog",
    "sources_for",
]
