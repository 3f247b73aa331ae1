"""Who may change a channel's subscription or the sources, decided the Slack way.

``AINEWS_SLACK_MANAGERS=anyone`` (the default) lets everyone; anything else means workspace
admins and owners (``users.info``) plus the IDs in ``AINEWS_SLACK_MANAGER_IDS``. A typo in
the setting therefore fails closed. Only commands that can change something ask Slack,
and answers are cached for a few minutes so a burst of commands costs one lookup.
"""

from __future__ import annotations

import logging
import time

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.commands import parse
from bot.settings import Settings

log = logging.getLogger(__name__)

GUARDED_VERBS = frozenset({"subscribe", "unsubscribe", "sources", "feedback"})
CACHE_SECONDS = 300.0


class Managers:
    def __init__(self, settings: Settings) -> None:
        self.anyone = settings.slack_managers.strip().lower() == "anyone"
        self.ids = {x.strip() for x in settings.slack_manager_ids.split(",") if x.strip()}
        self._cache: dict[tuple[str, str], tuple[bool, float]] = {}

    def needs_check(self, command_text: str) -> bool:
        return not self.anyone and parse(command_text).verb in GUARDED_VERBS

    async def can_manage(
        self, client: AsyncWebClient, workspace: str, user: str, command_text: str
    ) -> bool:
        """Whether ``user`` may run ``command_text``'s changes (read-only commands: always)."""
        if not self.needs_check(command_text) or user in self.ids:
            return True
        key = (workspace, user)
        cached = self._cache.get(key)
        if cached and cached[1] > time.monotonic():
            return cached[0]
        try:
            info = (await client.users_info(user=user))["user"]
        except SlackApiError as exc:  # missing users:read, deleted user...: fail closed
            log.warning("users.info failed for %s: %s", user, exc.response.get("error"))
            return False
        allowed = bool(info.get("is_admin") or info.get("is_owner") or info.get("is_primary_owner"))
        self._cache[key] = (allowed, time.monotonic() + CACHE_SECONDS)
        return allowed
