"""``ainews doctor --online``: ask Slack, Discord and the feeds themselves.

The offline doctor can only say a token is set and well-formed. Whether Slack accepts it,
whether the app was installed with the scopes the manifest asks for, whether the Discord
bot can post in the channels subscribed to a digest, and whether each feed answers, only
the services can say. Each check here makes the few read-only calls that answer that, with
the real SDKs (slack_sdk, discord.py) pointed at ``AINEWS_SLACK_API_URL`` /
``AINEWS_DISCORD_API_URL`` when set, and returns a :class:`~bot.doctor.Check` whose hints
are the next step for each failure. The model endpoint is asked by every doctor run
(``Doctor.check_llm``), so it has no second check here.
"""

from __future__ import annotations

import asyncio
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bot.defaults import config_path
from bot.doctor_check import Check, lacking_slack_scopes, rel_path, secret_of
from bot.settings import Settings

TIMEOUT_S = 15
#: What the bot needs in a channel it posts digests to (the install link asks for these).
DISCORD_CHANNEL_PERMISSIONS = (
    "view_channel",
    "send_messages",
    "embed_links",
    "read_message_history",
)
DISCORD_COMMAND = "ainews"


def online_checks(settings: Settings) -> list[Check]:
    checks = [slack(settings), discord_check(settings), feeds(settings)]
    return [c for c in checks if c is not None]


# -- Slack ----------------------------------------------------------------------------------


def slack(settings: Settings) -> Check | None:
    from slack_sdk.errors import SlackApiError

    token = secret_of(settings.slack_bot_token)
    if not token:
        return None  # Slack off, or OAuth: each workspace's token is checked at install
    client = _slack_client(settings, token)
    try:
        response = client.auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error", "error")
        return Check(
            "slack api",
            "fail",
            f"Slack refused SLACK_BOT_TOKEN ({error})",
            [
                "Copy the Bot User OAuth Token (xoxb-...) again from the app's OAuth & "
                "Permissions page into SLACK_BOT_TOKEN; a reinstalled or rotated app has a new "
                "one."
            ],
        )
    except Exception as exc:  # DNS, TLS, proxy, timeout
        return _unreachable("slack api", "Slack", client.base_url, exc)
    missing = sorted(lacking_slack_scopes(response.headers or {}))
    who = f"{response.get('user')} in {response.get('team')} ({response.get('team_id')})"
    if missing:
        manifest = rel_path(config_path("slack-app-manifest.yml", settings.config_dir))
        return Check(
            "slack api",
            "fail",
            f"SLACK_BOT_TOKEN works ({who}) but lacks the scopes: {', '.join(missing)}",
            [
                f"Add them under OAuth & Permissions, Bot Token Scopes (or paste {manifest} "
                "into App Manifest), then reinstall the app to the workspace: Slack grants new "
                "scopes only on install."
            ],
        )
    refused = _socket_mode_refusal(settings)
    if refused:
        return Check(
            "slack api",
            "fail",
            f"SLACK_BOT_TOKEN works ({who}) but Slack refused SLACK_APP_TOKEN ({refused})",
            [
                "Socket Mode needs an app-level token with connections:write: Basic "
                "Information, App-Level Tokens, Generate; and Socket Mode switched on."
            ],
        )
    return Check("slack api", "ok", f"SLACK_BOT_TOKEN works: {who}, every manifest scope granted")


def _slack_client(settings: Settings, token: str) -> Any:
    from slack_sdk import WebClient

    client = WebClient(token=token, timeout=TIMEOUT_S)
    if settings.slack_api_url:  # the same override the Slack adapter honours
        url = settings.slack_api_url
        client.base_url = url if url.endswith("/") else url + "/"
    return client


def _socket_mode_refusal(settings: Settings) -> str | None:
    """Slack's error for SLACK_APP_TOKEN (``apps.connections.open``, which only hands out a
    WebSocket URL that expires unused), or ``None`` when it works or is not set."""
    from slack_sdk.errors import SlackApiError

    token = secret_of(settings.slack_app_token)
    if not token:
        return None
    try:
        _slack_client(settings, token).apps_connections_open(app_token=token)
    except SlackApiError as exc:
        return str(exc.response.get("error", "error"))
    return None


def _unreachable(area: str, what: str, where: str, exc: BaseException) -> Check:
    return Check(
        area,
        "fail",
        f"could not reach {what} at {where}: {type(exc).__name__}: {str(exc)[:200]}",
        ["Check this machine's network, DNS and proxy settings (HTTPS_PROXY)."],
    )


# -- Discord --------------------------------------------------------------------------------


def discord_check(settings: Settings) -> Check | None:
    token = secret_of(settings.discord_token)
    if not token:
        return None
    return asyncio.run(_discord(settings, token))


async def _discord(settings: Settings, token: str) -> Check:
    import discord
    from discord.http import HTTPClient

    from bot.app import discord_endpoints

    endpoints = discord_endpoints(settings.discord_api_url) if settings.discord_api_url else None
    http = HTTPClient(asyncio.get_running_loop())
    where = endpoints.rest if endpoints else "discord.com"
    try:
        try:
            me = await asyncio.wait_for(http.static_login(token), TIMEOUT_S)
        except discord.LoginFailure:
            return Check(
                "discord api",
                "fail",
                "Discord refused DISCORD_TOKEN (401 Unauthorized)",
                [
                    "Developer Portal, your application, Bot, Reset Token: copy the new token "
                    "into DISCORD_TOKEN (a reset token replaces the old one at once)."
                ],
            )
        except (discord.HTTPException, OSError, TimeoutError) as exc:
            return _unreachable("discord api", "Discord", where, exc)
        app = await http.application_info()
        commands = await http.get_global_commands(app["id"])
        problems = await _channel_problems(http, str(me["id"]), subscribed_channels(settings))
    except (discord.HTTPException, OSError, TimeoutError) as exc:
        return _unreachable("discord api", "Discord", where, exc)
    finally:
        await http.close()
        if endpoints:
            endpoints.restore()
    who = f"bot {me['username']} ({me['id']})"
    hints = [hint for _, hint in problems]
    if DISCORD_COMMAND not in {c["name"] for c in commands}:
        hints.append(
            f"/{DISCORD_COMMAND} is not registered yet: `ainews run` registers it at start "
            "(it can take a minute to appear)."
        )
    if problems:
        names = ", ".join(channel for channel, _ in problems)
        return Check("discord api", "fail", f"{who}: cannot post digests in {names}", hints)
    return Check("discord api", "warn" if hints else "ok", f"DISCORD_TOKEN works: {who}", hints)


async def _channel_problems(
    http: Any, bot_id: str, channels: list[tuple[str, str]]
) -> list[tuple[str, str]]:
    """(channel, next step) for each subscribed channel the bot cannot post a digest to."""
    import discord

    problems: list[tuple[str, str]] = []
    guilds: dict[str, tuple[Any, Any] | None] = {}
    for guild_id, channel_id in channels:
        label = f"channel {channel_id} (server {guild_id})"
        if guild_id not in guilds:
            try:
                guilds[guild_id] = (
                    await http.get_guild(guild_id),
                    await http.get_member(guild_id, bot_id),
                )
            except (discord.Forbidden, discord.NotFound):
                guilds[guild_id] = None
        found = guilds[guild_id]
        if found is None:
            problems.append(
                (
                    label,
                    f"{label}: the bot is not in that server; invite it again "
                    "(`ainews discord invite APPLICATION_ID`) or unsubscribe the channel.",
                )
            )
            continue
        try:
            channel = await http.get_channel(channel_id)
        except (discord.Forbidden, discord.NotFound):
            channel = None
        allowed = channel_permissions(*found, channel) if channel else discord.Permissions.none()
        missing = [p for p in DISCORD_CHANNEL_PERMISSIONS if not getattr(allowed, p)]
        if missing:
            shown = ", ".join(p.replace("_", " ").title() for p in missing)
            problems.append(
                (
                    label,
                    f"{label}: missing {shown}; allow them for the bot's role in that "
                    "channel (Edit Channel, Permissions).",
                )
            )
    return problems


def channel_permissions(guild: Any, member: Any, channel: Any) -> Any:
    """Discord's rule: owner or Administrator: everything; else @everyone + the member's
    roles, then the channel's @everyone, role and member overwrites, in that order."""
    from discord import Permissions

    if str(member["user"]["id"]) == str(guild.get("owner_id")):
        return Permissions.all()
    roles = {str(r["id"]): int(r["permissions"]) for r in guild.get("roles", [])}
    member_roles = {str(r) for r in member.get("roles", [])}
    value = roles.get(str(guild["id"]), 0)
    for role in member_roles:
        value |= roles.get(role, 0)
    allowed = Permissions(value)
    if allowed.administrator:
        return Permissions.all()
    overwrites = channel.get("permission_overwrites") or []
    for ow in overwrites:
        if str(ow["id"]) == str(guild["id"]):
            allowed.handle_overwrite(int(ow["allow"]), int(ow["deny"]))
    allow = deny = 0
    for ow in overwrites:
        if int(ow["type"]) == 0 and str(ow["id"]) in member_roles:
            allow, deny = allow | int(ow["allow"]), deny | int(ow["deny"])
    allowed.handle_overwrite(allow, deny)
    for ow in overwrites:
        if int(ow["type"]) == 1 and str(ow["id"]) == str(member["user"]["id"]):
            allowed.handle_overwrite(int(ow["allow"]), int(ow["deny"]))
    return allowed if allowed.view_channel else Permissions.none()


# -- stored rows (read-only) ----------------------------------------------------------------


def _rows(settings: Settings, sql: str) -> list[tuple[Any, ...]]:
    """Rows of a read-only query; none when the database does not exist yet or lacks the table.

    SQLite is opened read-only (doctor never creates or changes anything)."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from bot.store import make_engine

    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() == "sqlite":
        path = Path(url.database or "")
        if not path.is_file():
            return []
        try:
            with sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True) as conn:
                return list(conn.execute(sql))
        except sqlite3.Error:
            return []
    engine = make_engine(settings.resolved_database_url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]
    except SQLAlchemyError:
        return []
    finally:
        engine.dispose()


def subscribed_channels(settings: Settings) -> list[tuple[str, str]]:
    sql = "SELECT DISTINCT workspace, channel FROM subscription WHERE platform = 'discord'"
    return [(str(g), str(c)) for g, c in _rows(settings, sql)]


# -- feeds ----------------------------------------------------------------------------------


def feeds(settings: Settings) -> Check | None:
    from bot.ingest.feeds import parse_feed
    from bot.ingest.poller import make_fetcher
    from bot.ingest.types import public_reason

    sql = "SELECT id, name, url FROM source WHERE enabled AND kind = 'feed' ORDER BY id"
    sources = _rows(settings, sql)
    if not sources:
        return None
    with make_fetcher(settings) as fetcher:

        def probe(row: tuple[Any, ...]) -> str | None:
            try:
                result = fetcher.fetch(row[2])
                parse_feed(result.content, url=result.url, content_type=result.content_type)
            except Exception as exc:  # IngestError, or a parser bug on hostile content
                return public_reason(str(exc))
            return None

        with ThreadPoolExecutor(4) as pool:
            errors = list(pool.map(probe, sources))
    failed = [(row, error) for row, error in zip(sources, errors, strict=True) if error]
    if not failed:
        return Check("feeds online", "ok", f"all {len(sources)} enabled feeds answer and parse")
    hints = [
        f"source {row[0]} ({row[1]}, {row[2]}): {error}. Check the URL in a browser; "
        f"`ainews sources remove {row[0]}` if it is gone (a failing feed is retried with "
        "backoff on its own)."
        for row, error in failed
    ]
    summary = f"{len(failed)} of {len(sources)} enabled feeds failed"
    return Check("feeds online", "fail", summary, hints)
