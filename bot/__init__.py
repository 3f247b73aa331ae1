"""ainews core: storage, ingestion, hybrid search and answers, with no platform code."""

__version__ = "0.1.0"
