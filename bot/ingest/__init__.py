"""Turning raw inputs (seed files, documents, feeds, web pages) into stored articles."""
