"""Local inputs: single files or folders of ``.txt``, ``.md``, ``.html`` and ``.jsonl``.

Every input yields ``(label, RawArticle | IngestError)`` so one bad file (or one
bad JSONL line) is reported by name while the rest is still ingested: no input
here may raise out of :func:`iter_path`, whatever its bytes.

Only regular files are read (a named pipe called ``x.txt`` would block the
reader forever). Text is made safe where it comes in (:func:`bot.text.scrub`:
NUL and lone surrogates dropped, control characters normalised), and a JSONL
line nested deeper than :data:`bot.ingest.safejson.MAX_JSON_DEPTH` is refused.
"""

from __future__ import annotations

import json
import logging
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.ingest import safejson
from bot.ingest.seeds import derive_title, parse_page_text
from bot.ingest.types import IngestError, RawArticle, short_error
from bot.text import clean_whitespace, detect_lang, scrub
from bot.utc import aware

log = logging.getLogger(__name__)

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
    """Decode text; returns ``(text, notice)`` where notice names a non-UTF-8 encoding.

    A stray NUL does not make a file binary (it is dropped later, with a note); many do.
    """
    head = data[:8192]
    if head.count(b"\x00") > max(2, len(head) // 100):
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
    """The bytes of a regular file. Anything else is refused before a byte is read: opening
    is non-blocking (a named pipe with no writer would block a plain open), and the type is
    checked on the opened file, so a file swapped meanwhile cannot slip through."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if stat.S_ISDIR(info.st_mode):
                raise IngestError("is a directory")
            if not stat.S_ISREG(info.st_mode):
                raise IngestError(f"not a regular file ({_kind(info.st_mode)}): not read")
            if info.st_size > MAX_FILE_BYTES:
                raise IngestError(f"file larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
            return handle.read()
    except PermissionError as exc:
        raise IngestError("cannot read the file: permission denied") from exc
    except IsADirectoryError as exc:
        raise IngestError("is a directory") from exc
    except OSError as exc:
        raise IngestError(f"cannot read the file: {exc.strerror or exc}") from exc


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a file"


def removed_note(count: int) -> str | None:
    """The note for text that had NULs or lone surrogates removed."""
    if not count:
        return None
    return f"{count} invalid character(s) removed (NUL or lone surrogate)"


def join_notes(*notes: str | None) -> str | None:
    return "; ".join(n for n in notes if n) or None


def display_label(text: str) -> str:
    """A path as the user gave it, printable and storable: bytes that are not UTF-8 in a
    file name (kept by Python as lone surrogates) become U+FFFD."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:  # the name's own bytes, as the file system holds them
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a lone surrogate that never was a byte
        return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def parse_date(value: object) -> datetime | None:
    """ISO dates and datetimes; naive ones are taken as UTC. Anything else is no date."""
    if not isinstance(value, str) or not value.strip() or value.strip() == "None":
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return aware(parsed)


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
    # A paragraph's lines are one paragraph (Markdown's soft wraps), list items stay apart.
    text = re.sub(r"(?<=\S)[ \t]*\n(?=[ \t]*(?![-+>]|\d+[.)]\s)\S)", " ", text)
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


#: The fields of a JSONL row that are read; each string is scrubbed before use.
_JSONL_FIELDS = ("title", "body", "text", "url", "date", "published_at", "lang", "source", "id")


def _jsonl(text: str, label: str) -> Iterator[Item]:
    # Lines end at "\n" only: JSON strings may hold U+2028 and other characters that
    # str.splitlines() would break a line at.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        where = f"{label}:{number}"
        try:
            # strict=False: a raw control character inside a string is scrubbed below
            # rather than failing the line.
            row = safejson.loads(line, strict=False)
            if not isinstance(row, dict):
                raise IngestError("each line must be a JSON object")
            dropped = 0
            for key in _JSONL_FIELDS:
                if isinstance(value := row.get(key), str):
                    row[key], count = scrub(value)
                    dropped += count
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
                removed_note(dropped),
            )
        except json.JSONDecodeError as exc:
            yield Item(where, IngestError(f"invalid JSON ({exc.msg})"))
        except IngestError as exc:
            yield Item(where, exc)
        except Exception as exc:  # one unreadable line never ends the ingest
            log.exception("could not read %s", where)
            yield Item(where, IngestError(f"could not read the line: {short_error(exc)}"))


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
                item.notice = join_notes(notice, item.notice)
                yield item
            return
        text, dropped = scrub(text)
        notice = join_notes(notice, removed_note(dropped))
        if suffix in MARKDOWN_SUFFIXES:
            article = _markdown(text, label)
        elif suffix in HTML_SUFFIXES:
            article = _html(text, label)
        else:
            article = parse_page_text(text, url=label)
        yield Item(label, article, notice)
    except IngestError as exc:
        yield Item(label, exc)
    except Exception as exc:  # a parser bug on hostile input: this file fails, not the run
        log.exception("could not read %s", label)
        yield Item(label, IngestError(f"could not read the file: {short_error(exc)}"))


def iter_path(given: str, *, shown_as: str | None = None) -> Iterator[Item]:
    """Files under ``given`` (a file or a folder), labelled with the path as the user gave it
    (or as ``shown_as``: the packaged seeds are ``seeds/...`` wherever they are installed).

    Entries with a supported suffix that are not regular files (named pipes, sockets,
    devices) are named and skipped; so are folders that cannot be listed.
    """
    root = Path(given)
    shown = shown_as or given
    label = display_label(shown)
    if not root.exists():
        yield Item(label, IngestError("no such file or folder"))
        return
    if not root.is_dir():
        yield from load_file(root, label)  # a regular file, or refused by _read
        return
    unreadable: list[OSError] = []
    for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable.append):
        for error in unreadable:
            where = display_label(str(error.filename or dirpath))
            reason = error.strerror or str(error)
            yield Item(where, IngestError(f"cannot read the folder: {reason}"))
        unreadable.clear()
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith(".") or Path(name).suffix.lower() not in SUPPORTED:
                continue
            path = Path(dirpath) / name
            yield from load_file(
                path, display_label(os.path.join(shown, str(path.relative_to(root))))
            )
    for error in unreadable:
        where = display_label(str(error.filename or given))
        yield Item(where, IngestError(f"cannot read the folder: {error.strerror or error}"))
