"""Web API clients and what a failed post means for a subscription.

Every client gets slack_sdk's retry handlers: 429 responses are waited out (Retry-After),
connection resets and 5xx are retried a couple of times, except on the client that posts
digests (``posting_client``). What still fails becomes a
``DeliveryError``; errors that will not fix themselves (channel gone, bot removed, token
revoked) are permanent, so the scheduler pauses the subscription with Slack's reason
instead of retrying every day.
"""

from __future__ import annotations

import asyncio

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.ports import DeliveryError

PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "account_inactive",
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "missing_scope",
        "restricted_action",
        "team_access_not_granted",
        "app_not_installed",
    }
)


def make_client(token: str | None, base_url: str | None, *, resends: bool = True) -> AsyncWebClient:
    """A Web API client. ``resends=False`` (``posting_client``) retries only 429s."""
    rate_limited = AsyncRateLimitErrorRetryHandler(max_retry_count=3)
    client = AsyncWebClient(
        token=token,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            rate_limited,
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ]
        if resends
        else [rate_limited],
    )
    if base_url:  # AINEWS_SLACK_API_URL; the default stays slack_sdk's own
        client.base_url = base_url if base_url.endswith("/") else base_url + "/"
    return client


def posting_client(client: AsyncWebClient) -> AsyncWebClient:
    """``client`` for posts that must not be doubled: only a 429 (Slack refused the call) is
    retried here. After a 5xx or a dropped connection the message may be in the channel, so
    the scheduler looks before it resends (``DeliveryError.maybe_delivered``)."""
    return make_client(client.token, client.base_url, resends=False)


def delivery_error(exc: BaseException) -> DeliveryError:
    """The ``DeliveryError`` for what a Web API call raised (after the retry handlers)."""
    if isinstance(exc, SlackApiError):
        error = str(exc.response.get("error") or f"http_{exc.response.status_code}")
        retry_after = None
        if exc.response.status_code == 429:
            header = exc.response.headers.get("Retry-After") or exc.response.headers.get(
                "retry-after"
            )
            retry_after = float(header) if header and str(header).isdigit() else None
        return DeliveryError(
            error,
            permanent=error in PERMANENT_ERRORS,
            retry_after=retry_after,
            maybe_delivered=exc.response.status_code >= 500,
        )
    if isinstance(exc, (aiohttp.ClientError, asyncio.TimeoutError, OSError)):
        return DeliveryError(
            f"connection_error: {exc!r}"[:200],
            permanent=False,
            # a connection never made sent nothing; one dropped later may have
            maybe_delivered=not isinstance(exc, aiohttp.ClientConnectorError),
        )
    return DeliveryError(f"unexpected: {exc!r}"[:200], permanent=False)
