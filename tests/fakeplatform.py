"""A fake chat platform for digest delivery tests: a Sender in-process, an HTTP server out of it.

Like Discord's ``nonce`` with ``enforce_nonce``, a repeated idempotency key is
acknowledged without posting twice.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from bot.ports import DeliveryError
from bot.reply import Reply


class FakeSender:
    """In-process sender that records what each channel received."""

    def __init__(self, platform: str = "slack", *, dead: set[str] | None = None) -> None:
        self.platform = platform
        self.dead = dead or set()
        self.messages: dict[str, list[Reply]] = defaultdict(list)
        self.keys: set[str] = set()
        self.attempts = 0

    async def send(
        self, workspace: str, channel: str, reply: Reply, *, idempotency_key: str | None = None
    ) -> None:
        self.attempts += 1
        if channel in self.dead:
            raise DeliveryError("channel_not_found", permanent=True)
        if idempotency_key in self.keys:
            return
        if idempotency_key:
            self.keys.add(idempotency_key)
        self.messages[channel].append(reply)


class PlatformServer:
    """HTTP fake platform (127.0.0.1:0) that survives the death of the process posting to it."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.posts: list[dict[str, Any]] = []
        self.by_key: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                import time

                time.sleep(outer.delay)
                with outer.lock:
                    outer.posts.append(body)
                    outer.by_key.setdefault(body["key"], body)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/post"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> PlatformServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def channels(self) -> dict[str, int]:
        """Messages visible per channel (repeated keys count once)."""
        counts: dict[str, int] = defaultdict(int)
        with self.lock:
            for body in self.by_key.values():
                counts[body["channel"]] += 1
        return dict(counts)


class HttpSender:
    """Posts digests to a ``PlatformServer``; used by the fan-out worker subprocess."""

    def __init__(self, url: str, platform: str = "slack") -> None:
        self.url = url
        self.platform = platform
        self.client = httpx.AsyncClient(timeout=10)

    async def send(
        self, workspace: str, channel: str, reply: Reply, *, idempotency_key: str | None = None
    ) -> None:
        payload = {"channel": channel, "key": idempotency_key, "stories": len(reply.cards)}
        response = await self.client.post(self.url, json=payload)
        if response.status_code != 200:
            raise DeliveryError(f"HTTP {response.status_code}", permanent=False)
