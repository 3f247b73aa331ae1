"""The process's HTTP server: /healthz and /metrics, and the mount point for Slack's routes.

One aiohttp application per process, so Slack's HTTP mode and the ops endpoints
share ``AINEWS_HTTP_HOST``/``AINEWS_HTTP_PORT`` behind one load balancer.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)


class HttpServer:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        health: Callable[[], dict[str, Any]],
        metrics: Callable[[], bytes],
    ) -> None:
        self.host = host
        self.port = port
        self._health = health
        self._metrics = metrics
        self.app = web.Application()
        self.app.router.add_get("/healthz", self._healthz)
        self.app.router.add_get("/metrics", self._metrics_view)
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def _healthz(self, request: web.Request) -> web.Response:
        report = await asyncio.to_thread(self._health)  # pings the database: off the loop
        return web.Response(
            text=json.dumps(report),
            status=200 if report["ok"] else 503,
            content_type="application/json",
        )

    async def _metrics_view(self, request: web.Request) -> web.Response:
        body = await asyncio.to_thread(self._metrics)
        return web.Response(body=body, headers={"Content-Type": "text/plain; version=0.0.4"})

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        addresses = self._runner.addresses
        port = int(addresses[0][1]) if addresses else self.port
        self.url = f"http://{self.host}:{port}"
        print(f"ainews http listening on {self.url}", flush=True)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
