"""Feed sources: add, list, remove, enable and disable at run time, and the curated defaults.

Errors carry an i18n code (``SourceError.code``) because the same functions
serve the chat command and the CLI.
"""

from __future__ import annotations

import ipaddress
import socket
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.core import Core
from bot.i18n import UserError
from bot.ingest.types import public_reason
from bot.models import Article, Source
from bot.utc import aware

#: Ids are 32-bit integers in the database: a larger number names no source.
MAX_ID = 2**31 - 1
#: Longer URLs (in UTF-8 bytes) are refused: a unique index entry has a size limit on Postgres.
MAX_URL_BYTES = 2048


class SourceError(UserError):
    """A source we refuse to add or cannot find."""


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """One ``[[feed]]`` of ``config/feeds.toml``."""

    url: str
    name: str
    lang: str | None = None
    full_text: bool = False


def resolves_to_private(host: str) -> bool:
    """True when any address of ``host`` is private, loopback, link-local or reserved."""
    try:
        infos = socket.getaddrinfo(host, None)
    except (OSError, UnicodeError):
        return False  # unresolvable now; the fetcher re-checks on every request
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if (
            address.is_private
            or address.is_loopback
            or address.is_link_local
            or address.is_reserved
            or address.is_multicast
            or address.is_unspecified
        ):
            return True
    return False


def add_source(
    core: Core,
    url: str,
    *,
    name: str | None = None,
    kind: str = "feed",
    lang: str | None = None,
    full_text: bool = False,
) -> Source:
    if len(url.encode()) > MAX_URL_BYTES:
        raise SourceError("source_url_too_long", limit=MAX_URL_BYTES)
    try:
        parts = urlsplit(url.strip().strip("<>"))
        hostname, _port = parts.hostname, parts.port  # a bad port ("x:99999999") raises
        (hostname or "").encode("idna")  # a label of 64+ characters, an empty label ("a..b")
    except (ValueError, UnicodeError):
        raise SourceError("source_bad_url", url=url) from None
    if parts.scheme not in {"http", "https"} or not hostname:
        raise SourceError("source_bad_url", url=url)
    url = parts.geturl()
    if not core.settings.allow_private_networks and resolves_to_private(hostname):
        raise SourceError("source_private", url=url)
    with Session(core.engine) as session:
        existing = session.execute(select(Source).where(Source.url == url)).scalar_one_or_none()
        if existing is not None:
            raise SourceError("source_exists", id=existing.id)
        source = Source(
            kind=kind,
            url=url,
            name=name or hostname,
            lang=lang,
            full_text=full_text,
        )
        session.add(source)
        session.commit()
        session.refresh(source)
        return source


def _find(session: Session, ref: str) -> Source:
    ref = ref.strip().strip("<>").lstrip("#")
    if not ref:
        raise SourceError("source_unknown", ref=ref)
    # isdecimal, not isdigit: "²" is a digit that int() refuses. An id past the column's
    # range (or a 5,000-digit number, which int() refuses too) names no source.
    if ref.isdecimal():
        if len(ref) > 10 or int(ref) > MAX_ID:
            raise SourceError("source_unknown", ref=ref[:40])
        query = select(Source).where(Source.id == int(ref))
    else:
        query = select(Source).where(Source.url == ref)
    source = session.execute(query).scalar_one_or_none()
    if source is None:
        raise SourceError("source_unknown", ref=ref)
    return source


def remove_source(core: Core, ref: str) -> Source:
    """Delete a source; its articles stay (they are the news), detached from it."""
    with Session(core.engine, expire_on_commit=False) as session:
        source = _find(session, ref)
        session.execute(
            update(Article).where(col(Article.source_id) == source.id).values(source_id=None)
        )
        session.delete(source)
        session.commit()
        return source


def set_enabled(core: Core, ref: str, enabled: bool) -> Source:
    """Enable (clearing the failure streak, backoff and reason) or disable a source by hand."""
    with Session(core.engine, expire_on_commit=False) as session:
        source = _find(session, ref)
        source.enabled = enabled
        if enabled:
            source.consecutive_failures = 0
            source.next_try_at = None
            source.disabled_reason = None
        else:
            source.disabled_reason = "disabled by hand"
        session.add(source)
        session.commit()
        return source


def list_sources(core: Core) -> list[Source]:
    with Session(core.engine, expire_on_commit=False) as session:
        return list(session.execute(select(Source).order_by(col(Source.id))).scalars())


def load_feed_specs(path: Path) -> list[FeedSpec]:
    """Read ``[[feed]]`` entries; a missing field or a non-http URL is a clear error."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    specs = []
    for n, row in enumerate(data.get("feed", []), start=1):
        url, name = row.get("url"), row.get("name")
        if not isinstance(url, str) or urlsplit(url).scheme not in {"http", "https"}:
            raise ValueError(f"{path}: feed {n} has no http(s) url")
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"{path}: feed {n} ({url}) has no name")
        specs.append(FeedSpec(url, name.strip(), row.get("lang"), bool(row.get("full_text"))))
    return specs


@dataclass
class Added:
    """What adding a list of feeds did: the new sources, those already present, the refused."""

    added: list[Source]
    present: list[str]
    refused: list[tuple[str, SourceError]]


def add_specs(core: Core, specs: list[FeedSpec]) -> Added:
    """Add each feed not yet present (the curated defaults, an OPML import); one refused URL
    is named and the others still added."""
    result = Added([], [], [])
    for spec in specs:
        try:
            result.added.append(
                add_source(core, spec.url, name=spec.name, lang=spec.lang, full_text=spec.full_text)
            )
        except SourceError as exc:
            if exc.code == "source_exists":
                result.present.append(spec.url)
            else:
                result.refused.append((spec.url, exc))
    return result


def add_defaults(core: Core, path: Path | None = None) -> Added:
    """Add the curated feeds of ``config/feeds.toml`` not yet present."""
    return add_specs(core, load_feed_specs(path or core.settings.feeds_path))


def health(source: Source, now: datetime | None = None) -> str:
    """One readable line: state, last success, failures, the last error or disable reason, and
    when a backing-off source is tried next."""
    now = now or datetime.now(UTC)
    state = source_state(source)
    if state == "disabled":
        reason = public_reason(source.disabled_reason or "") or "no reason recorded"
        state = f"DISABLED ({reason})"
    elif source.last_error:
        state = f"FAILING x{source.consecutive_failures}: {public_reason(source.last_error)}"
    parts = [state]
    if source.enabled and source.next_try_at:
        parts.append(f"next try {_at(source.next_try_at, now)}")
    if source.last_success_at:
        parts.append(f"last success {_ago(source.last_success_at, now)}")
    if source.enabled and source.last_error is None and source.consecutive_failures:
        parts.append(f"{source.consecutive_failures} failure(s)")
    if not source.enabled and source.last_error:
        parts.append(f"last error: {public_reason(source.last_error)}")
    return " · ".join(parts)


def source_state(source: Source) -> str:
    """``disabled`` (by hand), ``failing``, ``ok`` or ``never polled``."""
    if not source.enabled:
        return "disabled"
    if source.last_error:
        return "failing"
    return "ok" if source.last_success_at else "never polled"


def _at(when: datetime, now: datetime) -> str:
    when = aware(when)
    minutes = max(0, int((when - now).total_seconds()) // 60)
    wait = f"in {minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"in {minutes} min"
    return f"{when:%Y-%m-%d %H:%M} UTC ({wait})"


def _ago(when: datetime, now: datetime) -> str:
    seconds = max(0, int((now - when).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{when:%Y-%m-%d %H:%M} UTC ({seconds // size} {unit} ago)"
    return f"{when:%Y-%m-%d %H:%M} UTC (just now)"
