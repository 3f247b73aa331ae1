"""A small threaded HTTP server on 127.0.0.1 with programmable routes, for network tests.

The machine running the tests has no internet, so every network test talks
to one of these. Routes cover the awkward cases a fetcher must survive:
conditional requests, redirects and loops, huge streamed bodies and servers
that trickle one byte per second.

Usage::

    with LocalServer() as server:
        server.static("/feed.xml", data, content_type="application/rss+xml")
        fetcher.fetch(server.url("/feed.xml"))
        assert server.requests[0].headers["User-Agent"].startswith("ainews")
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self


@dataclass(slots=True)
class Reply:
    """What a route answers: status, headers and a body (bytes or a chunk iterator).

    An iterator body is streamed as it is produced, so huge responses never sit
    in memory; ``Content-Length`` is sent only if the route sets it.
    """

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | Iterable[bytes] = b""


@dataclass(slots=True)
class Request:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]


Handler = Callable[[Request], Reply]


class LocalServer:
    """ThreadingHTTPServer on ``127.0.0.1:0`` whose routes tests add at will."""

    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self.requests: list[Request] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", 0), _RequestHandler)
        self._httpd.owner = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def url(self, path: str) -> str:
        """Absolute URL of ``path`` on this server."""
        return f"http://127.0.0.1:{self.port}{path}"

    def requests_to(self, path: str) -> list[Request]:
        """The logged requests for one path (query string included in ``path``)."""
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def _log(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)

    # ------------------------------------------------------------------ route builders

    def route(self, path: str, handler: Handler) -> None:
        """Serve ``path`` with an arbitrary handler."""
        self.routes[path] = handler

    def static(
        self,
        path: str,
        body: bytes,
        *,
        content_type: str = "application/octet-stream",
        etag: str | None = '"v1"',
        last_modified: str | None = "Mon, 01 Jan 2024 00:00:00 GMT",
    ) -> None:
        """Fixed bytes with validators; answers 304 to a matching conditional request."""

        def handler(request: Request) -> Reply:
            headers = {"Content-Type": content_type, "Content-Length": str(len(body))}
            if etag:
                headers["ETag"] = etag
            if last_modified:
                headers["Last-Modified"] = last_modified
            if _not_modified(request, etag, last_modified):
                return Reply(304, {k: v for k, v in headers.items() if k != "Content-Length"})
            return Reply(200, headers, body)

        self.routes[path] = handler

    def content(
        self,
        path: str,
        body: bytes,
        content_type: str,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Given bytes and content type, no validators."""
        extra = dict(headers or {})
        extra.setdefault("Content-Type", content_type)
        extra.setdefault("Content-Length", str(len(body)))
        self.routes[path] = lambda _request: Reply(status, dict(extra), body)

    def redirect(self, path: str, target: str, *, status: int = 302) -> None:
        """Redirect ``path`` to ``target`` (a path on this server or an absolute URL)."""
        location = target if "://" in target else self.url(target)
        self.routes[path] = lambda _request: Reply(
            status, {"Location": location, "Content-Length": "0"}
        )

    def redirect_loop(self, first: str, second: str) -> None:
        """``first`` -> ``second`` -> ``first`` -> ... forever."""
        self.redirect(first, second)
        self.redirect(second, first)

    def big(self, path: str, size: int, *, declare_length: bool = False) -> None:
        """``size`` bytes streamed from a generator in 64 KB chunks, never held in memory."""

        def chunks() -> Iterator[bytes]:
            block = b"x" * 65536
            sent = 0
            while sent < size and not self.stopping.is_set():
                piece = block[: min(len(block), size - sent)]
                sent += len(piece)
                yield piece

        def handler(_request: Request) -> Reply:
            headers = {"Content-Type": "application/xml"}
            if declare_length:
                headers["Content-Length"] = str(size)
            return Reply(200, headers, chunks())

        self.routes[path] = handler

    def trickle(self, path: str, body: bytes = b"x" * 120, *, interval: float = 1.0) -> None:
        """Send headers at once, then one byte every ``interval`` seconds."""

        def chunks() -> Iterator[bytes]:
            for index in range(len(body)):
                if index and self.stopping.wait(interval):
                    return
                yield body[index : index + 1]

        self.routes[path] = lambda _request: Reply(
            200, {"Content-Type": "application/xml", "Content-Length": str(len(body))}, chunks()
        )

    def sequence(self, path: str, replies: list[Reply]) -> None:
        """Answer successive requests with ``replies`` in order (the last one repeats)."""
        queue = list(replies)

        def handler(_request: Request) -> Reply:
            with self._lock:
                return queue.pop(0) if len(queue) > 1 else queue[0]

        self.routes[path] = handler


def _not_modified(request: Request, etag: str | None, last_modified: str | None) -> bool:
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        return etag is not None and etag in [t.strip() for t in if_none_match.split(",")]
    since = request.headers.get("If-Modified-Since")
    if since and last_modified:
        try:
            return parsedate_to_datetime(last_modified) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


def http_date(timestamp: float | None = None) -> str:
    """An RFC 7231 date, e.g. for ``Last-Modified`` or ``Retry-After``."""
    return formatdate(time.time() if timestamp is None else timestamp, usegmt=True)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: LocalServer

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients hanging up mid-body is what several tests do on purpose; stay quiet."""


class _RequestHandler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes

    def do_GET(self) -> None:
        owner = self.server.owner
        request = Request("GET", self.path, {k: v for k, v in self.headers.items()})
        owner._log(request)
        handler = owner.routes.get(self.path.split("?", 1)[0]) or owner.routes.get(self.path)
        reply = handler(request) if handler else Reply(404, {"Content-Length": "9"}, b"not found")
        self.send_response(reply.status)
        headers = dict(reply.headers)
        streamed = not isinstance(reply.body, bytes)
        if isinstance(reply.body, bytes) and reply.status != 304:
            headers.setdefault("Content-Length", str(len(reply.body)))
        if streamed and "Content-Length" not in headers:
            headers["Connection"] = "close"
            self.close_connection = True
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        try:
            if isinstance(reply.body, bytes):
                self.wfile.write(reply.body)
            else:
                for chunk in reply.body:
                    self.wfile.write(chunk)
                    self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        """Silence the per-request stderr log."""
