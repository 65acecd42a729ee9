"""lexi's version, in a module of its own: modules that record it (run.json, the fetcher's
user agent, ``lexi --version``) import it from here, not from the package root, whose
lazy notebook API reaches every layer."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("lexi")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
