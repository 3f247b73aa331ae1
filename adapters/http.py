"""The process's HTTP servers: /healthz and Slack's routes on the public port, /metrics apart.

One aiohttp application on ``AINEWS_HTTP_HOST``/``AINEWS_HTTP_PORT`` serves Slack's HTTP
mode and /healthz behind one load balancer. /metrics (command counts, index size) is for
Prometheus only, so it never shares that port: it is served on ``AINEWS_METRICS_PORT`` when
set (docker-compose keeps that port on the compose network) and not at all otherwise.
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
        metrics_port: int | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.metrics_port = metrics_port
        self._health = health
        self._metrics = metrics
        self.app = web.Application()
        self.app.router.add_get("/healthz", self._healthz)
        self.metrics_app = web.Application()
        self.metrics_app.router.add_get("/metrics", self._metrics_view)
        self._runners: list[web.AppRunner] = []
        self.url = ""
        self.metrics_url = ""

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
        self.url = await self._serve(self.app, self.port)
        print(f"ainews http listening on {self.url}", flush=True)
        if self.metrics_port is None:
            log.info("/metrics is off: set AINEWS_METRICS_PORT to serve it")
            return
        self.metrics_url = await self._serve(self.metrics_app, self.metrics_port)
        print(f"ainews metrics listening on {self.metrics_url}/metrics", flush=True)

    async def _serve(self, app: web.Application, port: int) -> str:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        self._runners.append(runner)
        await web.TCPSite(runner, self.host, port).start()
        addresses = runner.addresses
        return f"http://{self.host}:{int(addresses[0][1]) if addresses else port}"

    async def stop(self) -> None:
        for runner in reversed(self._runners):
            await runner.cleanup()
        self._runners.clear()
