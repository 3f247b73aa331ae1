"""Local inputs: single files or folders of ``.txt``, ``.md``, ``.html`` and ``.jsonl``.

Every input yields ``(label, RawArticle | IngestError)`` so one bad file (or one
bad JSONL line) is reported by name while the rest is still ingested.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.ingest.seeds import derive_title, parse_page_text
from bot.ingest.types import IngestError, RawArticle
from bot.text import clean_whitespace, detect_lang

TEXT_SUFFIXES = {".txt", ".text"}
MARKDOWN_SUFFIXES = {".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
SUPPORTED = TEXT_SUFFIXES | MARKDOWN_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES
MAX_FILE_BYTES = 200 * 1024 * 1024


@dataclass(slots=True)
class Item:
    """One ingestible unit: a file, or a line of a JSONL file."""

    label: str
    result: RawArticle | IngestError
    notice: str | None = None


def decode(data: bytes) -> tuple[str, str | None]:
    """Decode text; returns ``(text, notice)`` where notice names a non-UTF-8 encoding."""
    if b"\x00" in data[:8192]:
        raise IngestError("binary file, not text")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    text = data.decode("cp1252", errors="replace")
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\t\n\r\f")
    if controls > 0.05 * min(len(text), 8192) or text.count("\ufffd") > 0.01 * max(len(text), 1):
        raise IngestError("binary file, not text")
    return text, "not UTF-8: read as Latin-1/Windows-1252"


def _read(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise IngestError(f"file larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
        return path.read_bytes()
    except PermissionError as exc:
        raise IngestError("cannot read the file: permission denied") from exc
    except IsADirectoryError as exc:
        raise IngestError("is a directory") from exc
    except OSError as exc:
        raise IngestError(f"cannot read the file: {exc.strerror or exc}") from exc


def parse_date(value: object) -> datetime | None:
    """ISO dates and datetimes; naive ones are taken as UTC. Anything else is no date."""
    if not isinstance(value, str) or not value.strip() or value.strip() == "None":
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _null(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return None if text in {"", "None", "null"} else text


def _markdown(text: str, label: str) -> RawArticle:
    front: dict[str, str] = {}
    if text.startswith("---\n"):
        end = text.find("\n---", 4)
        if end > 0:
            for line in text[4:end].splitlines():
                key, _, value = line.partition(":")
                front[key.strip().lower()] = value.strip().strip("\"'")
            text = text[end + 4 :]
    title = front.get("title")
    heading = re.search(r"^#\s+(.+)$", text, re.MULTILINE)
    if not title and heading:
        title = heading.group(1).strip()
    if heading:
        text = text[: heading.start()] + text[heading.end() :]
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)  # images
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)  # links -> their text
    text = re.sub(r"^#{1,6}\s*|[*_`]{1,3}", "", text, flags=re.MULTILINE)
    article = parse_page_text(text, url=front.get("url") or label)
    if title:
        article.title = title
    article.published_at = parse_date(front.get("date")) or article.published_at
    article.lang = _null(front.get("lang")) or article.lang
    return article


def _html(text: str, label: str) -> RawArticle:
    from bot.ingest.extract import extract_article  # trafilatura is heavy: import on use

    article = extract_article(text, url=label)
    article.url = label
    return article


def _jsonl(text: str, label: str) -> Iterator[Item]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{label}:{number}"
        try:
            row = json.loads(line)
            if not isinstance(row, dict):
                raise IngestError("each line must be a JSON object")
            body = clean_whitespace(_null(row.get("body")) or _null(row.get("text")) or "")
            title = _null(row.get("title")) or (derive_title(body) if body else None)
            if not title:
                raise IngestError("no title and no body")
            yield Item(
                where,
                RawArticle(
                    title=clean_whitespace(title),
                    body=body or title,
                    url=_null(row.get("url")),
                    published_at=parse_date(row.get("date") or row.get("published_at")),
                    lang=_null(row.get("lang")) or detect_lang(f"{title} {body}"),
                    source_name=_null(row.get("source")),
                    guid=_null(row.get("id")),
                ),
            )
        except json.JSONDecodeError as exc:
            yield Item(where, IngestError(f"invalid JSON ({exc.msg})"))
        except IngestError as exc:
            yield Item(where, exc)


def load_file(path: Path, label: str) -> Iterator[Item]:
    """Parse one file by its suffix."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        yield Item(label, IngestError(f"unsupported file type {suffix or '(none)'}"))
        return
    try:
        text, notice = decode(_read(path))
        if suffix in JSONL_SUFFIXES:
            for item in _jsonl(text, label):
                item.notice = item.notice or notice
                yield item
            return
        if suffix in MARKDOWN_SUFFIXES:
            article = _markdown(text, label)
        elif suffix in HTML_SUFFIXES:
            article = _html(text, label)
        else:
            article = parse_page_text(text, url=label)
        yield Item(label, article, notice)
    except IngestError as exc:
        yield Item(label, exc)


def iter_path(given: str) -> Iterator[Item]:
    """Files under ``given`` (a file or a folder), labelled with the path as the user gave it."""
    root = Path(given)
    if not root.exists():
        yield Item(given, IngestError("no such file or folder"))
        return
    if root.is_file():
        yield from load_file(root, given)
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith(".") or Path(name).suffix.lower() not in SUPPORTED:
                continue
            path = Path(dirpath) / name
            yield from load_file(path, os.path.join(given, str(path.relative_to(root))))
