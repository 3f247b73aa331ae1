"""ainews core: storage, ingestion, hybrid search and answers, with no platform code."""

from importlib.metadata import PackageNotFoundError, version

try:  # one source of truth: the version in pyproject.toml, as installed
    __version__ = version("ainews")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"
