"""Where discord.py talks to: Discord itself, or ``AINEWS_DISCORD_API_URL`` (a proxy or a fake).

discord.py has no per-client setting for its endpoints. REST URLs are built from the class
attribute ``discord.http.Route.BASE`` at call time (bot calls, interaction callbacks and
webhook follow-ups alike) and a plain ``Client`` connects to the class attribute
``DiscordWebSocket.DEFAULT_GATEWAY`` without asking ``GET /gateway/bot``. So an override sets
both: the REST base from the setting, and the gateway that REST base announces. Both are
process-wide, which is why ``restore()`` puts the previous values back when the adapter stops.
"""

from __future__ import annotations

import logging
import re

import discord.gateway
import discord.http
import yarl

log = logging.getLogger(__name__)

_VERSIONED = re.compile(r"/api/v\d+$")


def rest_base(url: str) -> str:
    """``http://host:port`` or ``http://host:port/api/v10`` -> the versioned REST base."""
    base = url.strip().rstrip("/")
    if not _VERSIONED.search(base):
        base = f"{base}/api/v{discord.http.INTERNAL_API_VERSION}"
    return base


class Endpoints:
    """An applied endpoint override; ``restore()`` undoes it."""

    def __init__(self, api_url: str) -> None:
        self.rest = rest_base(api_url)
        self._old_base = discord.http.Route.BASE
        self._old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
        discord.http.Route.BASE = self.rest
        log.info("Discord REST API overridden: %s", self.rest)

    async def discover_gateway(self, http: discord.http.HTTPClient) -> yarl.URL:
        """Ask the overridden REST API for its gateway (``GET /gateway/bot``) and use it.

        Called after login (the route needs the bot token) and before the first connect.
        """
        _shards, url, _limits = await http.get_bot_gateway()
        gateway = yarl.URL(url)
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway
        log.info("Discord gateway overridden: %s", gateway)
        return gateway

    def restore(self) -> None:
        discord.http.Route.BASE = self._old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = self._old_gateway
