"""lexi: bootstrap language understanding for languages with almost no labelled data.

Data flows one way: ``resources`` → ``lexicon`` / ``morph`` → ``synth`` → ``model`` →
``evaluate``; ``recipe`` and ``cli`` sit on top and nothing below imports them.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("lexi")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
