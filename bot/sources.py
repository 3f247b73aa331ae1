"""Feed sources: add, list, remove, enable and disable at run time."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from sqlmodel import Session, select

from bot.core import Core
from bot.models import Source


class SourceError(ValueError):
    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def resolves_to_private(host: str) -> bool:
    """True when any address of ``host`` is private, loopback, link-local or reserved."""
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
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


def add_source(core: Core, url: str, *, name: str | None = None, kind: str = "feed") -> Source:
    parts = urlsplit(url.strip().strip("<>"))
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise SourceError("source_bad_url", url=url)
    url = parts.geturl()
    if not core.settings.allow_private_networks and resolves_to_private(parts.hostname):
        raise SourceError("source_private", url=url)
    with Session(core.engine) as session:
        existing = session.execute(select(Source).where(Source.url == url)).scalar_one_or_none()
        if existing is not None:
            raise SourceError("source_exists", id=existing.id)
        source = Source(kind=kind, url=url, name=name or parts.hostname)
        session.add(source)
        session.commit()
        session.refresh(source)
        return source


def remove_source(core: Core, ref: str) -> Source:
    with Session(core.engine) as session:
        query = select(Source).where(
            Source.id == int(ref) if ref.isdigit() else Source.url == ref.strip("<>")
        )
        source = session.execute(query).scalar_one_or_none()
        if source is None:
            raise SourceError("source_unknown", ref=ref)
        session.delete(source)
        session.commit()
        return source
