"""A careful HTTP fetcher for feeds and article pages.

The bot fetches URLs that users paste into chat, so every request is treated
as potentially hostile: no private or loopback addresses (SSRF), a hard
overall deadline (slow-loris servers), a size cap (memory), a bounded number
of redirects, each re-checked. It is also a polite client: conditional
requests, a per-host minimum interval, and retries that back off and honour
``Retry-After``.
"""

from __future__ import annotations

import email.utils
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Self
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from bot.ingest.types import IngestError

DEFAULT_USER_AGENT = "ainews/0.1 (+https://github.com/ainews; AI-news bot)"
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, "
    "text/html;q=0.8, */*;q=0.5"
)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_ALLOW_HINT = "set AINEWS_ALLOW_PRIVATE_NETWORKS=true to allow"


class FetchError(IngestError):
    """A fetch that failed or was refused; ``str(err)`` is a readable reason."""


@dataclass(slots=True)
class FetchResult:
    """What came back: ``url`` is the final URL after redirects.

    On a ``304 Not Modified`` answer ``not_modified`` is true, ``content`` is
    empty and ``etag``/``last_modified`` echo the validators to keep using.
    """

    url: str
    status: int
    content: bytes
    content_type: str | None
    etag: str | None
    last_modified: str | None
    not_modified: bool


class _Retryable(Exception):
    """Internal: a failure worth another attempt (connect error, 5xx, 429)."""

    def __init__(self, error: FetchError, retry_after: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


class Fetcher:
    """Fetch URLs safely; one instance can be shared by threads. Close it when done."""

    def __init__(
        self,
        *,
        allow_private_networks: bool = False,
        connect_timeout: float = 5.0,
        read_timeout: float = 10.0,
        deadline: float = 30.0,
        max_bytes: int = 10 * 1024 * 1024,
        max_redirects: int = 5,
        retries: int = 2,
        backoff: float = 0.5,
        max_retry_after: float = 10.0,
        per_host_interval: float = 1.0,
        user_agent: str = DEFAULT_USER_AGENT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.allow_private_networks = allow_private_networks
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.deadline = deadline
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.retries = retries
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self._throttle = _HostThrottle(per_host_interval)
        self._client = httpx.Client(
            transport=transport or _guarded_transport(allow_private_networks),
            headers={"User-Agent": user_agent, "Accept": ACCEPT},
            follow_redirects=False,
            trust_env=False,
        )

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        """Release pooled connections."""
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------------ public API

    def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """GET ``url`` following redirects; raise :class:`FetchError` on any failure.

        ``etag`` and ``last_modified`` come from a previous result and turn the
        request into a conditional one, so unchanged feeds cost one 304.
        """
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        clock = _Deadline(self.deadline)
        with _active_deadline(clock):
            current = url
            for _hop in range(self.max_redirects + 1):
                outcome = self._with_retries(current, headers, clock)
                if isinstance(outcome, FetchResult):
                    if outcome.not_modified:
                        outcome.etag = outcome.etag or etag
                        outcome.last_modified = outcome.last_modified or last_modified
                    return outcome
                current = outcome
        raise FetchError(f"too many redirects (>{self.max_redirects})")

    # ------------------------------------------------------------------ internals

    def _with_retries(
        self, url: str, headers: dict[str, str], clock: _Deadline
    ) -> FetchResult | str:
        """One hop, retried on transient failures with exponential backoff."""
        for attempt in range(self.retries + 1):
            try:
                return self._attempt(url, headers, clock)
            except _Retryable as transient:
                if attempt == self.retries:
                    raise transient.error from None
                delay = self.backoff * (2**attempt)
                if transient.retry_after is not None:
                    delay = max(delay, min(transient.retry_after, self.max_retry_after))
                if delay >= clock.remaining():
                    raise transient.error from None
                time.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(self, url: str, headers: dict[str, str], clock: _Deadline) -> FetchResult | str:
        """Send one request; return the result, or the next URL for a redirect."""
        host = check_url(url, allow_private_networks=self.allow_private_networks)
        clock.pause_for(self._throttle.wait(host))
        if clock.expired():
            raise FetchError(_too_slow(self.deadline))
        timeout = clock.timeout(self.connect_timeout, self.read_timeout)
        try:
            request = self._client.build_request("GET", url, headers=headers, timeout=timeout)
        except (httpx.InvalidURL, UnicodeError, ValueError) as exc:  # NUL, a 300-char label
            raise FetchError(f"invalid URL: {url}") from exc
        try:
            response = self._client.send(request, stream=True)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise _Retryable(FetchError(_connect_message(host, exc, self.connect_timeout))) from exc
        except httpx.TimeoutException as exc:
            raise FetchError(self._timeout_message(host, clock)) from exc
        except httpx.UnsupportedProtocol as exc:
            raise FetchError(f"unsupported URL: {url}") from exc
        except UnicodeError as exc:  # a host name IDNA cannot encode (a 64+ char label)
            raise FetchError(f"invalid host name: {url}") from exc
        except httpx.HTTPError as exc:
            raise FetchError(f"could not fetch {url}: {exc}") from exc
        try:
            return self._handle(url, response, host, clock)
        finally:
            response.close()

    def _handle(
        self, url: str, response: httpx.Response, host: str, clock: _Deadline
    ) -> FetchResult | str:
        status = response.status_code
        if status in _REDIRECTS:
            location = response.headers.get("Location")
            if not location:
                raise FetchError(f"HTTP {status} redirect without a Location header")
            return urljoin(url, location.strip())
        if status == 304:
            return self._result(url, response, b"", not_modified=True)
        if status == 429 or status >= 500:
            error = FetchError(_status_message(response))
            raise _Retryable(error, _retry_after(response.headers.get("Retry-After")))
        if not 200 <= status < 300:
            raise FetchError(_status_message(response))
        content = self._read_body(response, host, clock)
        return self._result(url, response, content, not_modified=False)

    def _read_body(self, response: httpx.Response, host: str, clock: _Deadline) -> bytes:
        """Stream the body, stopping at ``max_bytes`` and at the deadline."""
        too_big = FetchError(f"response larger than {human_size(self.max_bytes)}")
        declared = response.headers.get("Content-Length", "")
        if declared.strip().isdigit() and int(declared) > self.max_bytes:
            raise too_big
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self.max_bytes:
                    raise too_big
                if clock.expired():
                    raise FetchError(_too_slow(self.deadline))
                chunks.append(chunk)
        except httpx.TimeoutException as exc:
            raise FetchError(self._timeout_message(host, clock)) from exc
        except httpx.DecodingError as exc:
            raise FetchError(f"{host} sent a body that could not be decompressed") from exc
        except httpx.HTTPError as exc:
            raise FetchError(f"connection to {host} broke while reading: {exc}") from exc
        return b"".join(chunks)

    def _timeout_message(self, host: str, clock: _Deadline) -> str:
        if clock.remaining() <= 0.05:
            return _too_slow(self.deadline)
        return f"{host} sent nothing for {self.read_timeout:g} s (server too slow)"

    @staticmethod
    def _result(
        url: str, response: httpx.Response, content: bytes, *, not_modified: bool
    ) -> FetchResult:
        return FetchResult(
            url=url,
            status=response.status_code,
            content=content,
            content_type=response.headers.get("Content-Type"),
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
            not_modified=not_modified,
        )


# ---------------------------------------------------------------------- URL and address checks


def check_url(url: str, *, allow_private_networks: bool) -> str:
    """Validate scheme and host of ``url``; return the host, or raise :class:`FetchError`.

    Called for the first URL and for every redirect target.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise FetchError(f"invalid URL: {url}") from exc
    if parts.scheme not in ("http", "https"):
        shown = parts.scheme or "none"
        raise FetchError(f"unsupported URL scheme '{shown}' (only http and https): {url}")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise FetchError(f"invalid URL (no host): {url}")
    if not allow_private_networks:
        default_port = 443 if parts.scheme == "https" else 80
        resolve_public(host, port or default_port)
    return host


def resolve_public(host: str, port: int) -> list[str]:
    """Resolve ``host`` and return its addresses, refusing any non-public one.

    All addresses must be public: a name that resolves to both a public and a
    private address could be steered to the private one.
    """
    addresses = _resolve(host, port)
    for address in addresses:
        if is_private_address(address):
            if address == host:
                raise FetchError(f"refused: {host} is a private address ({_ALLOW_HINT})")
            raise FetchError(
                f"refused: {host} resolves to a private address {address} ({_ALLOW_HINT})"
            )
    return addresses


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"could not resolve host {host}") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise FetchError(f"could not resolve host {host}")
    return addresses


def is_private_address(address: str) -> bool:
    """True for anything that is not a plain public unicast address."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return True
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
        or not ip.is_global
    )


# ---------------------------------------------------------------------- deadline plumbing


class _Deadline:
    """Overall time budget of one fetch, shared by every hop, retry and socket read."""

    def __init__(self, seconds: float) -> None:
        self._end = time.monotonic() + seconds

    def remaining(self) -> float:
        return self._end - time.monotonic()

    def expired(self) -> bool:
        return self.remaining() <= 0

    def pause_for(self, seconds: float) -> None:
        """Politeness waits are our own choice, so they do not eat the server's budget."""
        self._end += seconds

    def timeout(self, connect: float, read: float) -> httpx.Timeout:
        left = max(self.remaining(), 0.001)
        return httpx.Timeout(
            connect=min(connect, left), read=min(read, left), write=min(read, left), pool=left
        )


_local = threading.local()


@contextmanager
def _active_deadline(clock: _Deadline) -> Iterator[None]:
    """Make ``clock`` visible to the socket layer of this thread while a fetch runs."""
    previous = getattr(_local, "deadline", None)
    _local.deadline = clock
    try:
        yield
    finally:
        _local.deadline = previous


def _bounded(timeout: float | None) -> float | None:
    """Shrink a per-operation socket timeout so it never passes the fetch deadline.

    httpx timeouts apply per read, so a server trickling one byte per second
    would never trip them; bounding each read by the remaining budget does.
    """
    clock: _Deadline | None = getattr(_local, "deadline", None)
    if clock is None:
        return timeout
    left = clock.remaining()
    if left <= 0:
        raise httpcore.ReadTimeout("fetch deadline reached")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose every read and write respects the fetch deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bounded(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname, _bounded(timeout))
        return _DeadlineStream(inner)

    def get_extra_info(self, info: str) -> object:
        return self._inner.get_extra_info(info)


class _GuardedBackend(httpcore.NetworkBackend):
    """Connects only to addresses that passed the private-network check.

    Checking the URL before the request is not enough: DNS may answer
    differently a moment later ("DNS rebinding"). Here the name is resolved
    once, checked, and the socket goes to exactly the checked address; TLS
    still verifies the certificate against the original host name.
    """

    def __init__(self, allow_private_networks: bool) -> None:
        self._inner = httpcore.SyncBackend()
        self._allow_private = allow_private_networks

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        if self._allow_private:
            addresses = [host]
        else:
            addresses = resolve_public(host, port)
        error: Exception | None = None
        for address in addresses:
            try:
                stream = self._inner.connect_tcp(
                    address, port, _bounded(timeout), local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                error = exc
                continue
            return _DeadlineStream(stream)
        assert error is not None
        raise error

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _guarded_transport(allow_private_networks: bool) -> httpx.HTTPTransport:
    """An httpx transport whose connections go through :class:`_GuardedBackend`.

    httpx has no public hook for the network backend, so the connection pool
    is rebuilt with one (``_pool`` has been stable across httpx 0.2x).
    """
    transport = httpx.HTTPTransport(trust_env=False)
    transport._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False),
        max_connections=100,
        max_keepalive_connections=20,
        keepalive_expiry=5.0,
        network_backend=_GuardedBackend(allow_private_networks),
    )
    return transport


# ---------------------------------------------------------------------- politeness


class _HostThrottle:
    """Keeps at least ``interval`` seconds between requests to one host, across threads.

    Each caller reserves the next free slot under the lock and sleeps outside
    it, so concurrent fetches to one host queue up instead of bursting.
    """

    def __init__(self, interval: float) -> None:
        self._interval = interval
        self._lock = threading.Lock()
        self._next_slot: dict[str, float] = {}

    def wait(self, host: str) -> float:
        """Block until ``host`` may be contacted; return the seconds waited."""
        if self._interval <= 0:
            return 0.0
        key = host.lower()
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next_slot.get(key, 0.0))
            self._next_slot[key] = slot + self._interval
            if len(self._next_slot) > 4096:
                self._next_slot = {h: t for h, t in self._next_slot.items() if t > now}
        delay = slot - now
        if delay > 0:
            time.sleep(delay)
        return max(delay, 0.0)


# ---------------------------------------------------------------------- messages


def human_size(size: int) -> str:
    """``10485760`` -> ``"10 MB"``, ``2048`` -> ``"2 KB"``, for error messages."""
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= factor:
            return f"{size / factor:.3g} {unit}"
    return f"{size} bytes"


def _too_slow(deadline: float) -> str:
    return f"gave up after {deadline:g} s (server too slow)"


def _status_message(response: httpx.Response) -> str:
    reason = response.reason_phrase or ""
    return f"HTTP {response.status_code} {reason}".rstrip()


def _connect_message(host: str, exc: Exception, connect_timeout: float) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return f"could not connect to {host} (timed out after {connect_timeout:g} s)"
    detail = str(exc) or type(exc).__name__
    return f"could not connect to {host}: {detail}"


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)
