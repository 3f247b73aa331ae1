"""A local fake of Discord (REST API v10 + gateway websocket) for discord.py's real client.

No internet is needed: ``FakeDiscord`` is an aiohttp server on ``127.0.0.1:<random port>``
serving the REST API under ``/api/v10/...`` and the gateway websocket at ``/gateway``
(plus ``/resume-gateway``, the session's ``resume_gateway_url``).

Pointing discord.py (2.4 - 2.7) at the fake
-------------------------------------------
discord.py has no public setting for its endpoints, so two documented class attributes are
set (and restored on exit) by ``FakeDiscord(patch_discord_py=True)`` (the default):

* ``discord.http.Route.BASE = fake.api_base`` - every REST call (the bot client, interaction
  callbacks and webhook follow-ups all build their URL from ``Route.BASE`` at call time).
* ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)`` - a plain
  ``discord.Client`` never asks ``GET /gateway/bot``; it connects to ``DEFAULT_GATEWAY``
  (and goes back to it after an INVALID_SESSION). ``AutoShardedClient`` does ask
  ``/gateway/bot``, which answers with ``fake.gateway_url``.

After READY discord.py resumes on READY's ``resume_gateway_url`` (``fake.resume_gateway_url``),
so ``fake.gateway_connections`` shows which URL each connection used. Nothing else is patched.

Typical test::

    async with FakeDiscord() as fake:
        client = MyClient(intents=..., guild_ready_timeout=0.05)  # READY fires 2 s after the
        task = asyncio.create_task(client.start("fake-token"))   # last GUILD_CREATE by default
        await asyncio.wait_for(client.wait_until_ready(), 5)
        await fake.dispatch("MESSAGE_CREATE", message_create("hi"))
        call = await fake.wait_for_call("POST", f"/channels/{CHANNEL_ID}/messages")
        assert call.json["allowed_mentions"] == {"parse": []}
        await client.close()
        await task

discord.py sleeps 5 s before every non-initial IDENTIFY (``Client.before_identify_hook``);
tests exercising INVALID_SESSION -> re-IDENTIFY should override that public hook.

Harness API (see the docstrings)
--------------------------------
* ``api_base``, ``gateway_url``, ``resume_gateway_url``, ``point_discord_py_here()``.
* Gateway: ``await dispatch(event, data)`` -> seq; ``await disconnect_client(code=4000|None)``;
  ``send_reconnect()``; ``invalidate_session()``; ``identify_count``, ``resume_count``,
  ``invalid_session_count``, ``identify_payloads`` / ``intents``, ``resume_payloads``,
  ``replayed``, ``gateway_connections`` (path, query, close code), ``gateway_received``,
  ``connected``, ``session``; ``wait_for_identify(n)``, ``wait_for_resume(n)``.
* REST: ``calls(method, path_substring)``, ``rest_calls``, ``await wait_for(predicate)``,
  ``await wait_for_call(method, path_substring)``, ``await wait_until(condition)``,
  ``fail_next(route_substring, status, retry_after=...)``.
* State: ``messages`` (id -> message), ``messages_in(channel_id)``, ``channels``, ``guild``,
  ``commands`` / ``command_id(name)``, ``interactions`` (id -> :class:`InteractionState`),
  ``add_channel(...)``, ``open_dm(user)``, ``bot_permissions(channel_id)``.
* Builders: :func:`message_create`, :func:`interaction_create_slash`,
  :func:`interaction_create_component`, :func:`guild_member`, :func:`compute_permissions`,
  and the sample ids/users (:data:`GUILD_ID`, :data:`CHANNEL_ID`, :data:`BOT_USER`,
  :data:`MOD_USER` with the "Mods" role (MANAGE_CHANNELS), :data:`MEMBER_USER` (@everyone
  only, no MANAGE_CHANNELS), :data:`OWNER_USER`).

What the fake does
------------------
Gateway: HELLO, IDENTIFY (intents recorded; privileged intents not in
``allowed_privileged_intents`` -> close 4014, wrong token -> 4004), HEARTBEAT -> HEARTBEAT_ACK,
READY + one GUILD_CREATE per guild, RESUME -> replay of every dispatch after the client's ``seq``
then RESUMED (unknown/invalidated session -> INVALID_SESSION ``false``), REQUEST_GUILD_MEMBERS ->
GUILD_MEMBERS_CHUNK. Transport compression ``zlib-stream`` is honoured (what discord.py asks for
unless ``zstandard`` is installed; anything else gets plain text frames, which discord.py
accepts). A client close with 1000/1001 invalidates the session, as on Discord.
Guild MESSAGE_CREATE/UPDATE are dropped without the GUILD_MESSAGES intent and have their content
blanked without MESSAGE_CONTENT unless the bot is mentioned (Discord's rules). Messages the bot
creates or edits over REST are echoed back as MESSAGE_CREATE/UPDATE (``echo_bot_messages``).

REST: users/@me, (oauth2/)applications/@me, gateway(/bot), application commands (global and
guild: bulk overwrite, list, create, edit, delete - validated, stored, echoed with ids),
channels (get, messages: create with JSON or multipart ``payload_json`` + ``files[n]`` - at most
10 files, ``max_upload_bytes`` together, else 400 / 413 ``40005`` -, get,
list, edit, delete; typing; reactions), threads (forum posts ``POST /channels/{forum}/threads``
- a forum refuses plain messages with 50008 -, threads on a message, the guild's active
threads), DM channel creation, guild/roles/channels/members reads,
interaction callbacks (types 4-9, 3 s deadline, double acknowledgement -> 40060) and interaction
webhooks (follow-ups, ``@original`` get/edit/delete). Message payloads are checked against
Discord's limits (2000-char content, 10 embeds, 256/4096/25/1024/6000 embed limits, well-formed
URLs, components) and answer ``50035 Invalid Form Body`` / ``50006`` like Discord does. Bot
permissions are computed from roles and overwrites (403 ``50001``/``50013``). Unknown ids give
Discord's 404 JSON (``10003 Unknown Channel``, ``10008 Unknown Message``, ``10062 Unknown
interaction``, ...). Every REST call is recorded as a :class:`RestCall`.

``fail_next("/channels/", status=429, retry_after=0.1)`` scripts failures with Discord's real
error bodies and headers (429 carries ``retry_after``, ``global``, ``X-RateLimit-*``,
``Retry-After`` and ``Via`` - discord.py treats a 429 without ``Via`` as a Cloudflare ban).

Payload samples live in ``tests/data/discord/*.json``. They are hand-built from the shapes in
Discord's API documentation and real payloads (ids are realistic snowflakes, not captured from a
live server); the builders (:func:`message_create`, :func:`interaction_create_slash`,
:func:`interaction_create_component`) deep-copy them and fill in fresh ids and timestamps.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import contextvars
import copy
import functools
import hashlib
import itertools
import json
import math
import mimetypes
import re
import secrets
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from aiohttp import BodyPartReader, WSMsgType, web

__all__ = [
    "ALL_PERMISSIONS",
    "API_VERSION",
    "APPLICATION_ID",
    "BOT_ROLE_ID",
    "BOT_USER",
    "CHANNEL_ID",
    "DATA_DIR",
    "EVERYONE_ROLE_ID",
    "GUILD_ID",
    "MEMBER_USER",
    "MODS_ROLE_ID",
    "MOD_USER",
    "OWNER_USER",
    "FakeDiscord",
    "GatewaySession",
    "InteractionState",
    "Intents",
    "MessageFlag",
    "Perm",
    "RestCall",
    "UploadedFile",
    "compute_permissions",
    "dm_channel_id",
    "guild_member",
    "interaction_create_component",
    "interaction_create_slash",
    "iter_option_values",
    "load_sample",
    "message_create",
    "snowflake",
]

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "discord"
API_VERSION = 10
#: Attachments one message may carry.
MAX_FILES = 10
API_PREFIX = f"/api/v{API_VERSION}"
FORUM = 15  # channel type of a forum (posts are threads; no plain messages)
DISCORD_EPOCH_MS = 1_420_070_400_000
JSON = dict[str, Any]


# --------------------------------------------------------------------------- constants


class Perm:
    """Discord permission bits (the ones the bot and these tests care about)."""

    CREATE_INSTANT_INVITE = 1 << 0
    KICK_MEMBERS = 1 << 1
    BAN_MEMBERS = 1 << 2
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    MANAGE_ROLES = 1 << 28
    USE_APPLICATION_COMMANDS = 1 << 31
    MANAGE_THREADS = 1 << 34
    SEND_MESSAGES_IN_THREADS = 1 << 38
    MODERATE_MEMBERS = 1 << 40


#: What Discord reports for the guild owner / administrators (``2**53 - 1``).
ALL_PERMISSIONS = (1 << 53) - 1


class Intents:
    """Gateway intent bits."""

    GUILDS = 1 << 0
    GUILD_MEMBERS = 1 << 1
    GUILD_PRESENCES = 1 << 8
    GUILD_MESSAGES = 1 << 9
    DIRECT_MESSAGES = 1 << 12
    MESSAGE_CONTENT = 1 << 15
    PRIVILEGED = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT


class MessageFlag:
    """Message flag bits."""

    SUPPRESS_EMBEDS = 1 << 2
    EPHEMERAL = 1 << 6
    LOADING = 1 << 7
    SUPPRESS_NOTIFICATIONS = 1 << 12
    IS_COMPONENTS_V2 = 1 << 15


# Application flags for an unverified bot with the three privileged intents switched on.
_APP_FLAG_BADGE = 1 << 23
_APP_FLAG_FOR_INTENT = {
    Intents.GUILD_PRESENCES: 1 << 13,  # GATEWAY_PRESENCE_LIMITED
    Intents.GUILD_MEMBERS: 1 << 15,  # GATEWAY_GUILD_MEMBERS_LIMITED
    Intents.MESSAGE_CONTENT: 1 << 19,  # GATEWAY_MESSAGE_CONTENT_LIMITED
}

_TRACE = '["gateway-prd-fake-127-0-0-1",{"micros":0}]'


# --------------------------------------------------------------------------- samples


@functools.cache
def _load_json(name: str) -> Any:
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


def load_sample(name: str) -> Any:
    """A fresh deep copy of ``tests/data/discord/<name>`` (``.json`` optional)."""
    if not name.endswith(".json"):
        name += ".json"
    return copy.deepcopy(_load_json(name))


def _public_user(user: Mapping[str, Any]) -> JSON:
    private = {"mfa_enabled", "locale", "premium_type", "email", "verified", "bio"}
    return {k: copy.deepcopy(v) for k, v in user.items() if k not in private}


_SAMPLE_GUILD: JSON = _load_json("guild_create.json")

#: The bot user as it appears in message authors / mentions.
BOT_USER: JSON = _public_user(_load_json("user_me.json"))
APPLICATION_ID = int(_load_json("application.json")["id"])
GUILD_ID = int(_SAMPLE_GUILD["id"])
EVERYONE_ROLE_ID = GUILD_ID
MODS_ROLE_ID = next(int(r["id"]) for r in _SAMPLE_GUILD["roles"] if r["name"] == "Mods")
BOT_ROLE_ID = next(int(r["id"]) for r in _SAMPLE_GUILD["roles"] if r.get("managed"))
CHANNEL_ID = next(int(c["id"]) for c in _SAMPLE_GUILD["channels"] if c["type"] == 0)
OWNER_USER: JSON = next(
    m["user"] for m in _SAMPLE_GUILD["members"] if m["user"]["id"] == _SAMPLE_GUILD["owner_id"]
)
MOD_USER: JSON = next(
    m["user"] for m in _SAMPLE_GUILD["members"] if str(MODS_ROLE_ID) in m["roles"]
)
MEMBER_USER: JSON = next(
    m["user"]
    for m in _SAMPLE_GUILD["members"]
    if not m["roles"] and m["user"]["id"] != _SAMPLE_GUILD["owner_id"]
)


# --------------------------------------------------------------------------- helpers

_increment = itertools.count()


def snowflake(at: float | None = None, *, worker: int = 1) -> int:
    """A real-looking Discord snowflake for ``at`` (UNIX seconds, default now)."""
    ms = int((time.time() if at is None else at) * 1000)
    return ((ms - DISCORD_EPOCH_MS) << 22) | ((worker & 31) << 17) | (next(_increment) & 0xFFF)


def _iso_now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _sid(value: Any) -> str:
    return str(value)


def _user_of(who: Mapping[str, Any]) -> JSON:
    """A user dict from either a user or a member (``{"user": {...}, ...}``)."""
    inner = who.get("user")
    return dict(inner) if isinstance(inner, Mapping) else dict(who)


def _partial_member(member: Mapping[str, Any]) -> JSON:
    return {k: copy.deepcopy(v) for k, v in member.items() if k not in ("user", "permissions")}


def guild_member(
    user: Mapping[str, Any] | int | str, *, guild: Mapping[str, Any] | None = None
) -> JSON:
    """The guild member record (``{"user": ..., "roles": [...], ...}``) for a user / id / username.

    Unknown users get a fresh record with no roles (only @everyone).
    """
    guild = _SAMPLE_GUILD if guild is None else guild
    if isinstance(user, Mapping):
        key = str(_user_of(user)["id"])
        fallback: JSON | None = _user_of(user)
    else:
        key, fallback = str(user), None
    for member in guild.get("members", []):
        if key in (member["user"]["id"], member["user"]["username"]):
            return copy.deepcopy(member)
    if fallback is None:
        raise KeyError(f"no member {user!r} in guild {guild.get('id')}")
    return {
        "user": fallback,
        "roles": [],
        "joined_at": _iso_now(),
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "nick": None,
        "avatar": None,
        "banner": None,
        "premium_since": None,
        "communication_disabled_until": None,
    }


def _find_channel(guild: Mapping[str, Any], channel_id: int | str) -> JSON | None:
    for channel in guild.get("channels", []):
        if channel["id"] == str(channel_id):
            return dict(channel)
    return None


def compute_permissions(
    member: Mapping[str, Any],
    channel_id: int | str | None = None,
    *,
    guild: Mapping[str, Any] | None = None,
) -> int:
    """Discord's permission algorithm: owner/ADMINISTRATOR, @everyone + roles, then the
    channel's @everyone / role / member overwrites; no VIEW_CHANNEL in the channel -> 0."""
    guild = _SAMPLE_GUILD if guild is None else guild
    user_id = str(_user_of(member)["id"])
    if user_id == str(guild.get("owner_id")):
        return ALL_PERMISSIONS
    roles = {r["id"]: r for r in guild.get("roles", [])}
    member_roles = [str(r) for r in member.get("roles", [])]
    perms = int(roles[str(guild["id"])]["permissions"]) if str(guild["id"]) in roles else 0
    for role_id in member_roles:
        if role_id in roles:
            perms |= int(roles[role_id]["permissions"])
    if perms & Perm.ADMINISTRATOR:
        return ALL_PERMISSIONS
    if channel_id is None:
        return perms
    channel = _find_channel(guild, channel_id)
    if channel is None:
        return perms
    overwrites = channel.get("permission_overwrites") or []
    for ow in overwrites:
        if ow["id"] == str(guild["id"]):
            perms = (perms & ~int(ow["deny"])) | int(ow["allow"])
    allow = deny = 0
    for ow in overwrites:
        if int(ow["type"]) == 0 and ow["id"] in member_roles:
            allow |= int(ow["allow"])
            deny |= int(ow["deny"])
    perms = (perms & ~deny) | allow
    for ow in overwrites:
        if int(ow["type"]) == 1 and ow["id"] == user_id:
            perms = (perms & ~int(ow["deny"])) | int(ow["allow"])
    if not perms & Perm.VIEW_CHANNEL:
        return 0
    return perms


_MENTION_RE = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION_RE = re.compile(r"<@&(\d+)>")


def _known_users(guild: Mapping[str, Any]) -> dict[str, JSON]:
    users = {m["user"]["id"]: m["user"] for m in guild.get("members", [])}
    users.setdefault(BOT_USER["id"], BOT_USER)
    return users


# --------------------------------------------------------------------------- payload builders


def message_create(
    content: str,
    *,
    author: Mapping[str, Any] | None = None,
    channel_id: int | None = None,
    guild_id: int | None = GUILD_ID,
    mentions: Sequence[Mapping[str, Any]] | None = None,
    mention_roles: Sequence[int] = (),
    message_id: int | None = None,
    embeds: Sequence[Mapping[str, Any]] = (),
    attachments: Sequence[Mapping[str, Any]] = (),
    referenced_message: Mapping[str, Any] | None = None,
    guild: Mapping[str, Any] | None = None,
) -> JSON:
    """A MESSAGE_CREATE ``d`` payload from a human (default :data:`MEMBER_USER`).

    ``mentions`` defaults to ``[BOT_USER]``; mentions and content are kept consistent like
    Discord does: a mentioned user whose ``<@id>`` is missing from ``content`` gets it prepended,
    and ``<@id>`` tokens of known users in ``content`` are added to ``mentions``. Pass
    ``mentions=[]`` for a message that doesn't mention anyone. ``channel_id`` defaults to
    :data:`CHANNEL_ID`; ``guild_id=None`` makes a DM in the author's DM channel
    (:func:`dm_channel_id`, which the fake registers when the message is dispatched).
    """
    guild = _SAMPLE_GUILD if guild is None else guild
    data: JSON = load_sample("message_create.json")
    author_user = _user_of(MEMBER_USER if author is None else author)
    if channel_id is None:
        channel_id = CHANNEL_ID if guild_id is not None else dm_channel_id(author_user)
    wanted = [_user_of(m) for m in ([BOT_USER] if mentions is None else mentions)]
    for user in reversed(wanted):
        if f"<@{user['id']}>" not in content and f"<@!{user['id']}>" not in content:
            content = f"<@{user['id']}> {content}"
    known = _known_users(guild)
    mentioned: dict[str, JSON] = {u["id"]: u for u in wanted}
    for uid in _MENTION_RE.findall(content):
        if uid in known and uid not in mentioned:
            mentioned[uid] = copy.deepcopy(known[uid])
    mention_list = []
    for user in mentioned.values():
        entry = dict(user)
        if guild_id is not None:
            with contextlib.suppress(KeyError):
                entry["member"] = _partial_member(guild_member(user["id"], guild=guild))
        mention_list.append(entry)

    data.update(
        id=_sid(message_id or snowflake(worker=3)),
        content=content,
        author=author_user,
        channel_id=_sid(channel_id),
        mentions=mention_list,
        mention_roles=[_sid(r) for r in mention_roles],
        timestamp=_iso_now(),
        nonce=str(snowflake(worker=9)),
        embeds=[dict(e) for e in embeds],
        attachments=[dict(a) for a in attachments],
    )
    if guild_id is None:
        data.pop("guild_id", None)
        data.pop("member", None)
        data["channel_type"] = 1
    else:
        data["guild_id"] = _sid(guild_id)
        data["member"] = _partial_member(guild_member(author_user, guild=guild))
    if referenced_message is not None:
        data["type"] = 19
        data["message_reference"] = {
            "type": 0,
            "message_id": referenced_message["id"],
            "channel_id": _sid(channel_id),
            **({"guild_id": _sid(guild_id)} if guild_id is not None else {}),
        }
        data["referenced_message"] = copy.deepcopy(dict(referenced_message))
    return data


def dm_channel_id(user: Mapping[str, Any] | int) -> int:
    """The (stable) id of the bot's DM channel with ``user`` in the fake."""
    uid = int(user) if isinstance(user, int) else int(_user_of(user)["id"])
    return uid + 1_000


def _interaction_token(interaction_id: int) -> str:
    raw = f"interaction:{interaction_id}:{secrets.token_urlsafe(48)}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _option_payload(name: str, value: Any) -> JSON:
    if isinstance(value, Mapping):
        return {"name": name, **value}
    if isinstance(value, bool):
        kind = 5
    elif isinstance(value, int):
        kind = 4
    elif isinstance(value, float):
        kind = 10
    else:
        kind, value = 3, str(value)
    return {"name": name, "type": kind, "value": value}


def _fill_interaction_context(
    data: JSON,
    *,
    member: Mapping[str, Any] | None,
    user: Mapping[str, Any] | None,
    channel_id: int,
    guild_id: int | None,
    permissions: int | None,
    app_permissions: int | None,
    locale: str,
    guild: Mapping[str, Any],
) -> None:
    interaction_id = snowflake(worker=4)
    data["id"] = _sid(interaction_id)
    data["token"] = _interaction_token(interaction_id)
    data["application_id"] = _sid(APPLICATION_ID)
    data["locale"] = locale
    data["channel_id"] = _sid(channel_id)
    if guild_id is None:
        invoker = _user_of(user if user is not None else MEMBER_USER)
        for key in ("member", "guild", "guild_id", "guild_locale"):
            data.pop(key, None)
        data["user"] = invoker
        data["context"] = 1
        data["authorizing_integration_owners"] = {"0": _sid(APPLICATION_ID)}
        data["channel"] = {
            "id": _sid(channel_id),
            "type": 1,
            "flags": 0,
            "last_message_id": None,
            "recipients": [invoker],
        }
        data["app_permissions"] = str(
            app_permissions
            if app_permissions is not None
            else Perm.VIEW_CHANNEL
            | Perm.SEND_MESSAGES
            | Perm.EMBED_LINKS
            | Perm.ATTACH_FILES
            | Perm.READ_MESSAGE_HISTORY
            | Perm.MENTION_EVERYONE
            | Perm.USE_EXTERNAL_EMOJIS
        )
        return
    source: Mapping[str, Any] = (
        member if member is not None else user if user is not None else MOD_USER
    )
    full = copy.deepcopy(dict(source)) if "roles" in source else guild_member(source, guild=guild)
    perms = (
        permissions
        if permissions is not None
        else int(full["permissions"])
        if "permissions" in full
        else compute_permissions(full, channel_id, guild=guild)
    )
    full["permissions"] = str(perms)
    data.pop("user", None)
    data["member"] = full
    data["guild_id"] = _sid(guild_id)
    data["guild"] = {
        "features": list(guild.get("features", [])),
        "id": _sid(guild_id),
        "locale": "en-US",
    }
    data["guild_locale"] = guild.get("preferred_locale", "en-US")
    data["authorizing_integration_owners"] = {"0": _sid(guild_id)}
    data["context"] = 0
    channel = _find_channel(guild, channel_id) or {
        "id": _sid(channel_id),
        "type": 0,
        "name": "unknown",
    }
    channel.pop("version", None)
    channel["guild_id"] = _sid(guild_id)
    channel["permissions"] = str(perms)
    data["channel"] = channel
    bot_member = guild_member(BOT_USER, guild=guild)
    data["app_permissions"] = str(
        app_permissions
        if app_permissions is not None
        else compute_permissions(bot_member, channel_id, guild=guild)
    )


def interaction_create_slash(
    name: str = "ainews",
    subcommand: str | None = "search",
    options: Mapping[str, Any] | None = None,
    *,
    subcommand_group: str | None = None,
    member: Mapping[str, Any] | None = None,
    user: Mapping[str, Any] | None = None,
    channel_id: int = CHANNEL_ID,
    guild_id: int | None = GUILD_ID,
    command_id: int | None = None,
    command_guild_id: int | None = None,
    permissions: int | None = None,
    app_permissions: int | None = None,
    locale: str = "en-US",
    guild: Mapping[str, Any] | None = None,
) -> JSON:
    """An INTERACTION_CREATE ``d`` payload for a slash command (type 2 APPLICATION_COMMAND).

    ``options`` (default ``{"query": "Qwen"}``) become typed options (str 3, int 4, bool 5,
    float 10; pass a dict for anything else), nested under the subcommand (type 1) and the
    optional subcommand group (type 2). ``member`` may be a member record or a user (its guild
    record is looked up, default :data:`MOD_USER`); ``member.permissions`` and
    ``app_permissions`` are computed from the guild's roles/overwrites unless given.
    ``guild_id=None`` makes a DM interaction (``user`` instead of ``member``).
    ``command_guild_id`` sets ``data.guild_id`` (a guild-registered command); ``command_id``
    should be the id the fake echoed on registration (``fake.command_id(name)``).
    """
    guild = _SAMPLE_GUILD if guild is None else guild
    data: JSON = load_sample("interaction_create_slash.json")
    opts = [
        _option_payload(k, v)
        for k, v in ({"query": "Qwen"} if options is None else options).items()
    ]
    if subcommand is not None:
        sub: JSON = {"name": subcommand, "type": 1}
        if opts:
            sub["options"] = opts
        opts = [sub]
        if subcommand_group is not None:
            opts = [{"name": subcommand_group, "type": 2, "options": opts}]
    command: JSON = {
        "id": _sid(command_id or snowflake(worker=5)),
        "name": name,
        "type": 1,
    }
    if opts:
        command["options"] = opts
    if command_guild_id is not None:
        command["guild_id"] = _sid(command_guild_id)
    data["data"] = command
    _fill_interaction_context(
        data,
        member=member,
        user=user,
        channel_id=channel_id,
        guild_id=guild_id,
        permissions=permissions,
        app_permissions=app_permissions,
        locale=locale,
        guild=guild,
    )
    return data


def _component_id(message: Mapping[str, Any], custom_id: str) -> int | None:
    stack = list(message.get("components") or [])
    while stack:
        comp = stack.pop()
        if comp.get("custom_id") == custom_id:
            return comp.get("id")
        stack.extend(comp.get("components") or [])
    return None


def interaction_create_component(
    custom_id: str,
    *,
    component_type: int = 2,
    values: Sequence[str] | None = None,
    message: Mapping[str, Any] | None = None,
    member: Mapping[str, Any] | None = None,
    user: Mapping[str, Any] | None = None,
    channel_id: int = CHANNEL_ID,
    guild_id: int | None = GUILD_ID,
    permissions: int | None = None,
    app_permissions: int | None = None,
    locale: str = "en-US",
    guild: Mapping[str, Any] | None = None,
) -> JSON:
    """An INTERACTION_CREATE ``d`` payload for a component (type 3 MESSAGE_COMPONENT), e.g. a
    button click (``component_type=2``) or a string select (``3`` with ``values``).

    ``message`` is the message carrying the component - pass the one the bot sent (e.g.
    ``fake.messages[id]``) so view lookups by message id work; the default is the sample bot
    message whose button gets ``custom_id``. The clicking member defaults to :data:`MEMBER_USER`.
    """
    guild = _SAMPLE_GUILD if guild is None else guild
    data: JSON = load_sample("interaction_create_component.json")
    if message is None:
        msg = data["message"]
        msg["id"] = _sid(snowflake(worker=2))
        msg["channel_id"] = _sid(channel_id)
        msg["timestamp"] = _iso_now()
        msg["components"][0]["components"][0]["custom_id"] = custom_id
    else:
        msg = copy.deepcopy(dict(message))
    data["message"] = msg
    inner: JSON = {"component_type": component_type, "custom_id": custom_id}
    comp_id = _component_id(msg, custom_id)
    if comp_id is not None:
        inner["id"] = comp_id
    if values is not None:
        inner["values"] = list(values)
    data["data"] = inner
    _fill_interaction_context(
        data,
        member=MEMBER_USER if member is None and user is None else member,
        user=user,
        channel_id=channel_id,
        guild_id=guild_id,
        permissions=permissions,
        app_permissions=app_permissions,
        locale=locale,
        guild=guild,
    )
    return data


# --------------------------------------------------------------------------- REST records


@dataclass
class UploadedFile:
    field: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class RestCall:
    """One REST request the fake answered. ``path`` is relative to ``/api/v10``."""

    index: int
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    files: list[UploadedFile]
    status: int = 0
    response: Any = None
    scripted: bool = False  # answered by a fail_next() rule

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def __repr__(self) -> str:
        return f"<RestCall #{self.index} {self.method} {self.path} -> {self.status}>"


@dataclass
class _FailureRule:
    substring: str
    method: str | None
    status: int
    times: int
    retry_after: float
    is_global: bool
    message: str | None
    code: int | None
    body: JSON | None


_CURRENT_CALL: contextvars.ContextVar[RestCall] = contextvars.ContextVar("fake_discord_call")


class _JsonResponse(web.Response):
    """A response that remembers the JSON it carries (for ``RestCall.response``)."""

    def __init__(self, data: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fake_data = data


class DiscordHTTPError(Exception):
    def __init__(self, status: int, body: JSON, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(f"{status} {body}")
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


def _err(status: int, message: str, code: int, errors: JSON | None = None) -> DiscordHTTPError:
    body: JSON = {"message": message, "code": code}
    if errors:
        body["errors"] = errors
    return DiscordHTTPError(status, body)


_NOT_FOUND_BY_PATH: list[tuple[re.Pattern[str], str, int]] = [
    (re.compile(r"^/webhooks/\d+/[^/]+/messages/"), "Unknown Message", 10008),
    (re.compile(r"^/webhooks/"), "Unknown Webhook", 10015),
    (re.compile(r"^/interactions/"), "Unknown interaction", 10062),
    (re.compile(r"^/channels/\d+/messages/\d+"), "Unknown Message", 10008),
    (re.compile(r"^/channels/"), "Unknown Channel", 10003),
    (re.compile(r"^/guilds/\d+/members/"), "Unknown Member", 10007),
    (re.compile(r"^/guilds/"), "Unknown Guild", 10004),
    (
        re.compile(r"^/applications/\d+/(guilds/\d+/)?commands/\d+"),
        "Unknown application command",
        10063,
    ),
    (re.compile(r"^/applications/"), "Unknown Application", 10002),
    (re.compile(r"^/users/"), "Unknown User", 10013),
]


def _not_found(path: str) -> DiscordHTTPError:
    for pattern, message, code in _NOT_FOUND_BY_PATH:
        if pattern.search(path):
            return _err(404, message, code)
    return _err(404, "404: Not Found", 0)


def _default_error(status: int, path: str) -> tuple[str, int]:
    if status == 404:
        body = _not_found(path).body
        return body["message"], body["code"]
    return {
        400: ("400: Bad Request", 0),
        401: ("401: Unauthorized", 0),
        403: ("Missing Permissions", 50013),
        405: ("405: Method Not Allowed", 0),
        500: ("500: Internal Server Error", 0),
        502: ("502: Bad Gateway", 0),
        503: ("503: Service Unavailable", 0),
    }.get(status, (f"{status}: Error", 0))


class _FormErrors:
    """Discord's nested ``errors`` object for ``50035 Invalid Form Body``."""

    def __init__(self) -> None:
        self.tree: JSON = {}

    def add(self, path: Sequence[str | int], code: str, message: str) -> None:
        node = self.tree
        for part in path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def max_len(self, path: Sequence[str | int], value: Any, limit: int) -> None:
        if value is not None and len(value) > limit:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def url(self, path: Sequence[str | int], value: Any, *, attachment_ok: bool = False) -> None:
        if value is None:
            return
        ok = isinstance(value, str) and bool(re.match(r"^https?://[^\s/$.?#][^\s]*$", value))
        if attachment_ok and isinstance(value, str) and value.startswith("attachment://"):
            ok = True
        if not ok:
            self.add(path, "URL_TYPE_INVALID_URL", "Not a well formed URL.")

    def raise_if_any(self) -> None:
        if self.tree:
            raise _err(400, "Invalid Form Body", 50035, self.tree)


def _embed_size(embed: Mapping[str, Any]) -> int:
    size = len(embed.get("title") or "") + len(embed.get("description") or "")
    size += len((embed.get("footer") or {}).get("text") or "")
    size += len((embed.get("author") or {}).get("name") or "")
    for f in embed.get("fields") or []:
        size += len(f.get("name") or "") + len(f.get("value") or "")
    return size


def _validate_embeds(errors: _FormErrors, embeds: Sequence[Mapping[str, Any]]) -> None:
    errors.max_len(["embeds"], embeds, 10)
    for i, e in enumerate(embeds):
        base: list[str | int] = ["embeds", i]
        errors.max_len([*base, "title"], e.get("title"), 256)
        errors.max_len([*base, "description"], e.get("description"), 4096)
        errors.url([*base, "url"], e.get("url"))
        for key in ("image", "thumbnail"):
            if isinstance(e.get(key), Mapping):
                errors.url([*base, key, "url"], e[key].get("url"), attachment_ok=True)
        if isinstance(e.get("footer"), Mapping):
            errors.max_len([*base, "footer", "text"], e["footer"].get("text"), 2048)
        if isinstance(e.get("author"), Mapping):
            errors.max_len([*base, "author", "name"], e["author"].get("name"), 256)
            errors.url([*base, "author", "url"], e["author"].get("url"))
        fields = e.get("fields") or []
        errors.max_len([*base, "fields"], fields, 25)
        for j, f in enumerate(fields):
            for key, limit in (("name", 256), ("value", 1024)):
                if not f.get(key):
                    errors.add(
                        [*base, "fields", j, key], "BASE_TYPE_REQUIRED", "This field is required"
                    )
                errors.max_len([*base, "fields", j, key], f.get(key), limit)
        if "color" in e and e["color"] is not None and not 0 <= int(e["color"]) <= 0xFFFFFF:
            errors.add([*base, "color"], "NUMBER_TYPE_MAX", "int value should be <= 16777215.")
    if sum(_embed_size(e) for e in embeds) > 6000:
        errors.add(["embeds"], "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")


def _validate_components(
    errors: _FormErrors, components: Sequence[Mapping[str, Any]], flags: int
) -> None:
    if flags & MessageFlag.IS_COMPONENTS_V2:
        return  # layout components: not modelled
    errors.max_len(["components"], components, 5)
    seen: set[str] = set()
    for i, row in enumerate(components):
        base: list[str | int] = ["components", i]
        if row.get("type") != 1:
            errors.add(
                [*base, "type"], "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "Expected an action row."
            )
            continue
        children = row.get("components") or []
        if not children:
            errors.add(
                [*base, "components"], "BASE_TYPE_MIN_LENGTH", "Must be 1 or more in length."
            )
        errors.max_len([*base, "components"], children, 5)
        for j, comp in enumerate(children):
            cbase = [*base, "components", j]
            kind = comp.get("type")
            custom_id = comp.get("custom_id")
            if kind == 2 and comp.get("style") == 5:
                errors.url([*cbase, "url"], comp.get("url"))
                if comp.get("url") is None:
                    errors.add([*cbase, "url"], "BASE_TYPE_REQUIRED", "This field is required")
            elif kind == 2 and comp.get("style") == 6:
                pass  # premium button: sku_id
            elif not custom_id:
                errors.add([*cbase, "custom_id"], "BASE_TYPE_REQUIRED", "This field is required")
            if kind == 2:
                errors.max_len([*cbase, "label"], comp.get("label"), 80)
            if kind == 3:
                errors.max_len([*cbase, "options"], comp.get("options") or [], 25)
            if custom_id:
                errors.max_len([*cbase, "custom_id"], custom_id, 100)
                if custom_id in seen:
                    errors.add(
                        [*cbase, "custom_id"],
                        "COMPONENT_CUSTOM_ID_DUPLICATED",
                        "Component custom id cannot be duplicated",
                    )
                seen.add(custom_id)


def _validate_message(message: Mapping[str, Any], *, allow_empty: bool = False) -> None:
    errors = _FormErrors()
    errors.max_len(["content"], message.get("content"), 2000)
    _validate_embeds(errors, message.get("embeds") or [])
    _validate_components(errors, message.get("components") or [], int(message.get("flags") or 0))
    errors.raise_if_any()
    empty = not (
        message.get("content")
        or message.get("embeds")
        or message.get("attachments")
        or message.get("components")
        or message.get("sticker_items")
        or message.get("poll")
    )
    if empty and not allow_empty:
        raise _err(400, "Cannot send an empty message", 50006)


def _normalize_embed(embed: Mapping[str, Any]) -> JSON:
    out = {k: copy.deepcopy(v) for k, v in embed.items() if v is not None}
    out.setdefault("type", "rich")
    out.setdefault("content_scan_version", 0)
    return out


def _number_components(components: Sequence[Mapping[str, Any]]) -> list[JSON]:
    counter = itertools.count(1)

    def walk(items: Sequence[Mapping[str, Any]]) -> list[JSON]:
        out = []
        for comp in items:
            c = dict(comp)
            c.setdefault("id", next(counter))
            if "components" in c:
                c["components"] = walk(c["components"])
            out.append(c)
        return out

    return walk(components)


# --------------------------------------------------------------------------- gateway / interactions


@dataclass
class GatewaySession:
    session_id: str
    token: str
    intents: int
    shard: list[int] | None
    seq: int = 0
    log: list[JSON] = field(default_factory=list)  # every DISPATCH frame sent/buffered, for replay
    invalidated: bool = False


@dataclass
class GatewayConnection:
    """One websocket connection (kept in ``fake.gateway_connections``)."""

    path: str
    query: dict[str, str]
    ws: web.WebSocketResponse = field(repr=False)
    request: web.Request = field(repr=False)
    compressor: Any = field(default=None, repr=False)
    session: GatewaySession | None = field(default=None, repr=False)
    server_closed: bool = False
    close_code: int | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    async def send(self, payload: Mapping[str, Any]) -> bool:
        text = json.dumps(payload, separators=(",", ":"))
        async with self.lock:
            if self.ws.closed:
                return False
            try:
                if self.compressor is not None:
                    data = self.compressor.compress(text.encode()) + self.compressor.flush(
                        zlib.Z_SYNC_FLUSH
                    )
                    await self.ws.send_bytes(data)
                else:
                    await self.ws.send_str(text)
            except (ConnectionError, RuntimeError):
                return False
        return True


@dataclass
class InteractionState:
    """What the fake knows about an interaction it dispatched."""

    id: int
    token: str
    type: int
    channel_id: int | None
    guild_id: int | None
    payload: JSON = field(repr=False)
    received_at: float = 0.0  # loop.time()
    response_type: int | None = None
    response_data: JSON | None = field(default=None, repr=False)
    original_message_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)

    @property
    def acknowledged(self) -> bool:
        return self.response_type is not None

    @property
    def user(self) -> JSON:
        return _user_of(self.payload.get("member") or self.payload.get("user") or {})


# --------------------------------------------------------------------------- the fake


class FakeDiscord:
    """Fake Discord REST API + gateway. Use as ``async with FakeDiscord() as fake: ...``."""

    def __init__(
        self,
        *,
        token: str | None = None,
        heartbeat_interval_ms: int = 41_250,
        interaction_ack_deadline: float | None = 3.0,
        allowed_privileged_intents: int = Intents.PRIVILEGED,
        echo_bot_messages: bool = True,
        transport_compression: bool = True,
        patch_discord_py: bool = True,
        guild: Mapping[str, Any] | None = None,
    ) -> None:
        """
        token: if set, REST ``Authorization: Bot <token>`` and IDENTIFY/RESUME tokens must match
            (401 / close 4004); by default any token is accepted.
        interaction_ack_deadline: seconds to answer an interaction before the callback gets
            ``404 10062 Unknown interaction`` (Discord: 3 s); ``None`` disables it.
        allowed_privileged_intents: privileged intents switched on in the "developer portal";
            IDENTIFY asking for others is closed with 4014 (discord.py: PrivilegedIntentsRequired).
        echo_bot_messages: send MESSAGE_CREATE/UPDATE/DELETE for what the bot does over REST.
        patch_discord_py: point discord.py at this fake on enter, restore on exit.
        """
        self.token = token
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.interaction_ack_deadline = interaction_ack_deadline
        self.allowed_privileged_intents = allowed_privileged_intents
        self.echo_bot_messages = echo_bot_messages
        self.transport_compression = transport_compression
        self._patch_discord_py = patch_discord_py

        self.guild: JSON = copy.deepcopy(dict(guild if guild is not None else _SAMPLE_GUILD))
        self.application: JSON = load_sample("application.json")
        self.user_me: JSON = load_sample("user_me.json")
        self.bot_user: JSON = _public_user(self.user_me)
        self.application_id = int(self.application["id"])
        # Channel objects as GET /channels/{id} returns them; self.guild["channels"] holds the
        # same dicts (for the guild's channels), so editing one (e.g. its overwrites) edits both.
        self.channels: dict[int, JSON] = {}
        for ch in self.guild["channels"]:
            ch.pop("version", None)
            ch["guild_id"] = self.guild["id"]
            self.channels[int(ch["id"])] = ch
        self.messages: dict[int, JSON] = {}
        self.threads: list[JSON] = []  # threads and forum posts the bot created (active)
        self.commands: dict[int | None, list[JSON]] = {}
        self.interactions: dict[int, InteractionState] = {}

        # records
        self.rest_calls: list[RestCall] = []
        self.gateway_connections: list[GatewayConnection] = []
        self.gateway_received: list[JSON] = []
        self.identify_payloads: list[JSON] = []
        self.resume_payloads: list[JSON] = []
        self.replayed: list[JSON] = []  # DISPATCH frames re-sent after a RESUME
        self.identify_count = 0
        self.resume_count = 0
        self.invalid_session_count = 0
        self.heartbeat_count = 0
        self.session: GatewaySession | None = None  # the latest session (what dispatch() targets)

        self._sessions: dict[str, GatewaySession] = {}
        self._live: GatewayConnection | None = None
        self._send_lock = asyncio.Lock()
        self._failures: list[_FailureRule] = []
        self._wakeups: list[asyncio.Event] = []
        self._runner: web.AppRunner | None = None
        self._restore: Callable[[], None] | None = None
        self.port = 0
        #: Seconds each message create takes before it is answered (and stored).
        self.post_delay = 0.0
        #: How long a nonce sent with ``enforce_nonce`` deduplicates ("a few minutes").
        self.nonce_window = 300.0
        self.nonce_hits = 0
        self._nonces: dict[str, tuple[float, int]] = {}
        #: A request's files together may weigh this much (Discord's limit for bots without a
        #: boosted server: 10 MiB); more is ``413 40005 Request entity too large``.
        self.max_upload_bytes = 10 * 1024 * 1024

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self.base_url}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    @property
    def resume_gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/resume-gateway"

    @property
    def intents(self) -> int | None:
        """Intents of the latest IDENTIFY."""
        return self.identify_payloads[-1].get("intents") if self.identify_payloads else None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        app = web.Application(middlewares=[self._middleware], client_max_size=64 * 1024 * 1024)
        self._add_routes(app)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        self.port = int(sockets[0].getsockname()[1])
        if self._patch_discord_py:
            self._restore = self.point_discord_py_here()

    async def stop(self) -> None:
        if self._restore is not None:
            self._restore()
            self._restore = None
        for conn in list(self.gateway_connections):
            if not conn.ws.closed:
                conn.server_closed = True
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(
                        conn.ws.close(code=1001, message=b"fake shutting down"), 2
                    )
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def point_discord_py_here(self) -> Callable[[], None]:
        """Set ``discord.http.Route.BASE`` and ``DiscordWebSocket.DEFAULT_GATEWAY`` to this fake;
        returns a function restoring the previous values."""
        import discord.gateway
        import discord.http
        import yarl

        old_base = discord.http.Route.BASE
        old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
        discord.http.Route.BASE = self.api_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)

        def restore() -> None:
            discord.http.Route.BASE = old_base
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway

        return restore

    # ------------------------------------------------------------------ waiting

    def _poke(self) -> None:
        for wake in self._wakeups:
            wake.set()

    async def _wait(
        self, check: Callable[[], Any], timeout: float, describe: Callable[[], str]
    ) -> Any:
        """Re-check ``check()`` on every fake event (REST call, gateway frame) and at least
        every 10 ms (so conditions on the client's own state work too)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        wake = asyncio.Event()
        self._wakeups.append(wake)
        try:
            while True:
                result = check()
                if result:
                    return result
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise TimeoutError(describe())
                wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), min(remaining, 0.01))
        finally:
            self._wakeups.remove(wake)

    def _summary(self) -> str:
        calls = "\n  ".join(repr(c) for c in self.rest_calls[-15:]) or "(none)"
        return (
            f"identify_count={self.identify_count} resume_count={self.resume_count} "
            f"connected={self._live is not None}\nlast REST calls:\n  {calls}"
        )

    def calls(self, method: str | None = None, path_substring: str = "") -> list[RestCall]:
        """Recorded REST calls (answered ones, in answer order) matching method and substring."""
        return [
            c
            for c in self.rest_calls
            if (method is None or c.method == method.upper()) and path_substring in c.path
        ]

    async def wait_for(
        self, predicate: Callable[[RestCall], bool], timeout: float = 5.0, *, start: int = 0
    ) -> RestCall:
        """The first recorded REST call (index >= ``start``) satisfying ``predicate``."""

        def check() -> RestCall | None:
            return next((c for c in self.rest_calls[start:] if predicate(c)), None)

        result: RestCall = await self._wait(
            check, timeout, lambda: f"no matching REST call within {timeout}s; {self._summary()}"
        )
        return result

    async def wait_for_call(
        self, method: str, path_substring: str = "", *, timeout: float = 5.0, start: int = 0
    ) -> RestCall:
        return await self.wait_for(
            lambda c: c.method == method.upper() and path_substring in c.path,
            timeout,
            start=start,
        )

    async def wait_until(self, condition: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait until ``condition()`` is true; re-checked on every REST call / gateway event."""
        await self._wait(
            lambda: bool(condition()),
            timeout,
            lambda: f"condition not met within {timeout}s; {self._summary()}",
        )

    # ------------------------------------------------------------------ scripted failures

    def fail_next(
        self,
        route_substring: str,
        status: int = 404,
        *,
        method: str | None = None,
        times: int = 1,
        retry_after: float = 1.0,
        is_global: bool = False,
        message: str | None = None,
        code: int | None = None,
        body: JSON | None = None,
    ) -> None:
        """Make the next ``times`` REST calls whose path contains ``route_substring`` fail.

        ``route_substring`` may start with a method (``"POST /channels/"``). The body is
        Discord's: 404 by route (``Unknown Channel`` 10003, ``Unknown Message`` 10008, ...),
        403 ``Missing Permissions`` 50013, 429 ``{"message": "You are being rate limited.",
        "retry_after": ..., "global": ...}`` with ``X-RateLimit-*``/``Retry-After``/``Via``
        headers (discord.py sleeps ``retry_after`` and retries). ``message``/``code``/``body``
        override the defaults.
        """
        parts = route_substring.split(" ", 1)
        if len(parts) == 2 and parts[0].isupper():
            method, route_substring = parts[0], parts[1]
        self._failures.append(
            _FailureRule(
                substring=route_substring,
                method=method.upper() if method else None,
                status=status,
                times=times,
                retry_after=retry_after,
                is_global=is_global,
                message=message,
                code=code,
                body=body,
            )
        )

    def _take_failure(self, method: str, path: str, bucket: str) -> DiscordHTTPError | None:
        for rule in self._failures:
            if rule.substring in path and (rule.method is None or rule.method == method):
                rule.times -= 1
                if rule.times <= 0:
                    self._failures.remove(rule)
                return self._failure_error(rule, path, bucket)
        return None

    def _failure_error(self, rule: _FailureRule, path: str, bucket: str) -> DiscordHTTPError:
        if rule.status == 429:
            body: JSON = rule.body or {
                "message": rule.message or "You are being rate limited.",
                "retry_after": rule.retry_after,
                "global": rule.is_global,
            }
            if rule.code is not None:
                body["code"] = rule.code
            headers = {
                "Retry-After": str(max(1, math.ceil(rule.retry_after))),
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": f"{time.time() + rule.retry_after:.3f}",
                "X-RateLimit-Reset-After": f"{rule.retry_after:.3f}",
                "X-RateLimit-Bucket": bucket,
                "X-RateLimit-Scope": "global" if rule.is_global else "user",
                "Via": "1.1 google",
            }
            if rule.is_global:
                headers["X-RateLimit-Global"] = "true"
            return DiscordHTTPError(429, body, headers)
        default_message, default_code = _default_error(rule.status, path)
        body = rule.body or {
            "message": rule.message or default_message,
            "code": default_code if rule.code is None else rule.code,
        }
        return DiscordHTTPError(rule.status, body)

    # ------------------------------------------------------------------ HTTP plumbing

    def _add_routes(self, app: web.Application) -> None:
        a = API_PREFIX
        app.router.add_get("/gateway", self._gateway_ws)
        app.router.add_get("/resume-gateway", self._gateway_ws)
        r: list[tuple[str, str, Callable[[web.Request], Any]]] = [
            ("GET", "/gateway", self._get_gateway),
            ("GET", "/gateway/bot", self._get_gateway_bot),
            ("GET", "/users/@me", self._get_user_me),
            ("POST", "/users/@me/channels", self._create_dm),
            ("GET", r"/users/{user_id:\d+}", self._get_user),
            ("GET", "/oauth2/applications/@me", self._get_application),
            ("GET", "/applications/@me", self._get_application),
            ("GET", r"/applications/{app_id:\d+}/commands", self._list_commands),
            ("PUT", r"/applications/{app_id:\d+}/commands", self._bulk_commands),
            ("POST", r"/applications/{app_id:\d+}/commands", self._upsert_command),
            ("GET", r"/applications/{app_id:\d+}/commands/{cmd_id:\d+}", self._get_command),
            ("PATCH", r"/applications/{app_id:\d+}/commands/{cmd_id:\d+}", self._edit_command),
            ("DELETE", r"/applications/{app_id:\d+}/commands/{cmd_id:\d+}", self._delete_command),
            (
                "GET",
                r"/applications/{app_id:\d+}/guilds/{guild_id:\d+}/commands",
                self._list_commands,
            ),
            (
                "PUT",
                r"/applications/{app_id:\d+}/guilds/{guild_id:\d+}/commands",
                self._bulk_commands,
            ),
            (
                "POST",
                r"/applications/{app_id:\d+}/guilds/{guild_id:\d+}/commands",
                self._upsert_command,
            ),
            (
                "GET",
                r"/applications/{app_id:\d+}/guilds/{guild_id:\d+}/commands/{cmd_id:\d+}",
                self._get_command,
            ),
            (
                "PATCH",
                r"/applications/{app_id:\d+}/guilds/{guild_id:\d+}/commands/{cmd_id:\d+}",
                self._edit_command,
            ),
            (
                "DELETE",
                r"/applications/{app_id:\d+}/guilds/{guild_id:\d+}/commands/{cmd_id:\d+}",
                self._delete_command,
            ),
            ("GET", r"/channels/{channel_id:\d+}", self._get_channel),
            ("GET", r"/channels/{channel_id:\d+}/messages", self._list_messages),
            ("POST", r"/channels/{channel_id:\d+}/messages", self._create_message),
            ("GET", r"/channels/{channel_id:\d+}/messages/{message_id:\d+}", self._get_message),
            ("PATCH", r"/channels/{channel_id:\d+}/messages/{message_id:\d+}", self._edit_message),
            (
                "DELETE",
                r"/channels/{channel_id:\d+}/messages/{message_id:\d+}",
                self._delete_message,
            ),
            ("POST", r"/channels/{channel_id:\d+}/typing", self._typing),
            ("POST", r"/channels/{channel_id:\d+}/threads", self._create_forum_post),
            (
                "POST",
                r"/channels/{channel_id:\d+}/messages/{message_id:\d+}/threads",
                self._thread_from_message,
            ),
            ("GET", r"/guilds/{guild_id:\d+}/threads/active", self._active_threads),
            (
                "PUT",
                r"/channels/{channel_id:\d+}/messages/{message_id:\d+}/reactions/{emoji}/@me",
                self._reaction,
            ),
            (
                "DELETE",
                r"/channels/{channel_id:\d+}/messages/{message_id:\d+}/reactions/{emoji}/@me",
                self._reaction,
            ),
            ("GET", r"/guilds/{guild_id:\d+}", self._get_guild),
            ("GET", r"/guilds/{guild_id:\d+}/channels", self._get_guild_channels),
            ("GET", r"/guilds/{guild_id:\d+}/roles", self._get_guild_roles),
            ("GET", r"/guilds/{guild_id:\d+}/members/{user_id:\d+}", self._get_member),
            (
                "POST",
                r"/interactions/{interaction_id:\d+}/{token}/callback",
                self._interaction_callback,
            ),
            ("POST", r"/webhooks/{app_id:\d+}/{token}", self._webhook_execute),
            ("GET", r"/webhooks/{app_id:\d+}/{token}/messages/{message_id}", self._webhook_get),
            ("PATCH", r"/webhooks/{app_id:\d+}/{token}/messages/{message_id}", self._webhook_edit),
            (
                "DELETE",
                r"/webhooks/{app_id:\d+}/{token}/messages/{message_id}",
                self._webhook_delete,
            ),
        ]
        for method, path, handler in r:
            app.router.add_route(method, a + path, handler)

    @staticmethod
    def _respond(
        data: Any = None, status: int = 200, headers: Mapping[str, str] | None = None
    ) -> web.Response:
        hdrs = dict(headers or {})
        if data is None and status in (200, 204):
            return _JsonResponse(None, status=204, headers=hdrs)
        # discord.py's json_or_text() wants exactly "application/json" (no charset).
        hdrs["Content-Type"] = "application/json"
        return _JsonResponse(data, body=json.dumps(data).encode(), status=status, headers=hdrs)

    async def _read_body(self, request: web.Request) -> tuple[Any, list[UploadedFile]]:
        files: list[UploadedFile] = []
        if not request.can_read_body:
            return None, files
        ctype = request.content_type
        if ctype.startswith("multipart/"):
            payload: Any = None
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, BodyPartReader):
                    continue
                raw = bytes(await part.read(decode=False))
                if part.name == "payload_json":
                    payload = json.loads(raw.decode())
                else:
                    files.append(
                        UploadedFile(
                            field=part.name or "",
                            filename=part.filename,
                            content_type=part.headers.get("Content-Type"),
                            data=raw,
                        )
                    )
            if sum(len(f.data) for f in files) > self.max_upload_bytes:
                raise _err(413, "Request entity too large", 40005)
            if len(files) > MAX_FILES:
                errors = _FormErrors()
                errors.add(["files"], "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_FILES} or fewer.")
                errors.raise_if_any()
            return payload, files
        raw_body = await request.read()
        if not raw_body:
            return None, files
        try:
            return json.loads(raw_body), files
        except ValueError:
            raise _err(
                400, "400: Bad Request", 50109
            ) from None  # "The request body contains invalid JSON."

    def _check_auth(self, request: web.Request, path: str) -> None:
        if path.startswith(("/interactions/", "/webhooks/", "/gateway")) and path != "/gateway/bot":
            return
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bot ") or not auth[4:]:
            raise _err(401, "401: Unauthorized", 0)
        if self.token is not None and auth[4:] != self.token:
            raise _err(401, "401: Unauthorized", 0)

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if not request.path.startswith(API_PREFIX + "/"):
            result: web.StreamResponse = await handler(request)
            return result
        path = request.path[len(API_PREFIX) :]
        route = request.match_info.route
        template = (
            getattr(route.resource, "canonical", path) if route.resource is not None else path
        )
        bucket = hashlib.sha1(f"{request.method} {template}".encode()).hexdigest()[:32]
        call = RestCall(
            index=-1,
            method=request.method,
            path=path,
            query=dict(request.query),
            headers=dict(request.headers),
            json=None,
            files=[],
        )
        token = _CURRENT_CALL.set(call)
        try:
            call.json, call.files = await self._read_body(request)
            scripted = self._take_failure(request.method, path, bucket)
            if scripted is not None:
                call.scripted = True
                raise scripted
            self._check_auth(request, path)
            response = await handler(request)
            if isinstance(response, web.Response):
                response.headers.update(
                    {
                        "X-RateLimit-Bucket": bucket,
                        "X-RateLimit-Limit": "5",
                        "X-RateLimit-Remaining": "4",
                        "X-RateLimit-Reset": f"{time.time() + 1:.3f}",
                        "X-RateLimit-Reset-After": "1.000",
                    }
                )
        except DiscordHTTPError as exc:
            response = self._respond(exc.body, exc.status, exc.headers)
        except web.HTTPMethodNotAllowed:
            response = self._respond({"message": "405: Method Not Allowed", "code": 0}, 405)
        except web.HTTPNotFound:
            response = self._respond({"message": "404: Not Found", "code": 0}, 404)
        finally:
            _CURRENT_CALL.reset(token)
        call.status = response.status
        call.response = getattr(response, "fake_data", None)
        call.index = len(self.rest_calls)
        self.rest_calls.append(call)
        self._poke()
        return response

    @staticmethod
    def _call(request: web.Request) -> RestCall:
        return _CURRENT_CALL.get()

    def _json_body(self, request: web.Request) -> JSON:
        body = self._call(request).json
        if not isinstance(body, dict):
            raise _err(400, "400: Bad Request", 50109)
        return body

    def _check_app(self, request: web.Request) -> None:
        if int(request.match_info["app_id"]) != self.application_id:
            raise _err(403, "Missing Access", 50001)

    # ------------------------------------------------------------------ REST: misc

    async def _get_gateway(self, request: web.Request) -> web.Response:
        return self._respond({"url": self.gateway_url})

    async def _get_gateway_bot(self, request: web.Request) -> web.Response:
        return self._respond(
            {
                "url": self.gateway_url,
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 1000 - self.identify_count,
                    "reset_after": 86_400_000,
                    "max_concurrency": 1,
                },
            }
        )

    async def _get_user_me(self, request: web.Request) -> web.Response:
        return self._respond(self.user_me)

    async def _get_user(self, request: web.Request) -> web.Response:
        uid = request.match_info["user_id"]
        for user in _known_users(self.guild).values():
            if user["id"] == uid:
                return self._respond(user)
        raise _err(404, "Unknown User", 10013)

    async def _get_application(self, request: web.Request) -> web.Response:
        return self._respond(self.application)

    def open_dm(self, user: Mapping[str, Any]) -> JSON:
        """The bot's DM channel with ``user`` (created on first use, id :func:`dm_channel_id`)."""
        user = _user_of(user)
        cid = dm_channel_id(user)
        channel = self.channels.get(cid)
        if channel is None:
            channel = {
                "id": str(cid),
                "type": 1,
                "last_message_id": None,
                "flags": 0,
                "recipients": [copy.deepcopy(user)],
            }
            self.channels[cid] = channel
        return channel

    async def _create_dm(self, request: web.Request) -> web.Response:
        body = self._json_body(request)
        users = _known_users(self.guild)
        uid = str(body.get("recipient_id"))
        if uid not in users:
            raise _err(400, "Invalid Recipient(s)", 50033)
        return self._respond(self.open_dm(users[uid]))

    # ------------------------------------------------------------------ REST: guild

    def _check_guild(self, request: web.Request) -> None:
        if request.match_info["guild_id"] != self.guild["id"]:
            raise _err(404, "Unknown Guild", 10004)

    async def _get_guild(self, request: web.Request) -> web.Response:
        self._check_guild(request)
        skip = {"channels", "members", "threads", "presences", "voice_states", "joined_at", "large"}
        return self._respond({k: v for k, v in self.guild.items() if k not in skip})

    async def _get_guild_channels(self, request: web.Request) -> web.Response:
        self._check_guild(request)
        return self._respond([c for c in self.channels.values() if c.get("guild_id")])

    async def _get_guild_roles(self, request: web.Request) -> web.Response:
        self._check_guild(request)
        return self._respond(self.guild["roles"])

    async def _get_member(self, request: web.Request) -> web.Response:
        self._check_guild(request)
        uid = request.match_info["user_id"]
        for member in self.guild["members"]:
            if member["user"]["id"] == uid:
                return self._respond(member)
        raise _err(404, "Unknown Member", 10007)

    # ------------------------------------------------------------------ REST: commands

    def _commands_key(self, request: web.Request) -> int | None:
        self._check_app(request)
        gid = request.match_info.get("guild_id")
        if gid is None:
            return None
        if gid != self.guild["id"]:
            raise _err(403, "Missing Access", 50001)
        return int(gid)

    def command_id(self, name: str, *, guild_id: int | None = None, type: int = 1) -> int | None:
        """The id the fake gave to a registered command (``None`` if not registered)."""
        for cmd in self.commands.get(guild_id, []):
            if cmd["name"] == name and cmd.get("type", 1) == type:
                return int(cmd["id"])
        return None

    def _validate_command(
        self, errors: _FormErrors, path: list[str | int], cmd: Mapping[str, Any]
    ) -> None:
        kind = int(cmd.get("type") or 1)
        name = cmd.get("name")
        if not isinstance(name, str) or not name:
            errors.add([*path, "name"], "BASE_TYPE_REQUIRED", "This field is required")
            return
        if kind == 1 and (not re.fullmatch(r"[-_\w]{1,32}", name) or name != name.lower()):
            errors.add(
                [*path, "name"], "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"
            )
        errors.max_len([*path, "name"], name, 32)
        desc = cmd.get("description") or ""
        if kind == 1 and not desc:
            errors.add([*path, "description"], "BASE_TYPE_REQUIRED", "This field is required")
        if kind != 1 and desc:
            errors.add(
                [*path, "description"],
                "APPLICATION_COMMAND_INVALID_DESCRIPTION",
                "Description must be empty",
            )
        errors.max_len([*path, "description"], desc, 100)
        options = cmd.get("options") or []
        errors.max_len([*path, "options"], options, 25)
        seen_optional = False
        for i, opt in enumerate(options):
            opath: list[str | int] = [*path, "options", i]
            if opt.get("type") in (1, 2):
                self._validate_command(errors, opath, {**opt, "type": 1})
                continue
            self._validate_command(errors, opath, {**opt, "type": 1, "options": []})
            errors.max_len([*opath, "choices"], opt.get("choices") or [], 25)
            if opt.get("required"):
                if seen_optional:
                    errors.add(
                        [*opath, "required"],
                        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                        "Required options must be placed before non-required options",
                    )
            else:
                seen_optional = True

    def _store_command(
        self, key: int | None, cmd: Mapping[str, Any], existing: JSON | None
    ) -> JSON:
        out: JSON = {
            "id": existing["id"] if existing else str(snowflake(worker=5)),
            "application_id": str(self.application_id),
            "version": str(snowflake(worker=5)),
            "default_member_permissions": cmd.get("default_member_permissions"),
            "type": int(cmd.get("type") or 1),
            "name": cmd["name"],
            "name_localizations": cmd.get("name_localizations"),
            "description": cmd.get("description") or "",
            "description_localizations": cmd.get("description_localizations"),
            "dm_permission": cmd.get("dm_permission", True),
            "contexts": cmd.get("contexts"),
            "integration_types": cmd.get("integration_types") or [0],
            "nsfw": bool(cmd.get("nsfw", False)),
        }
        if cmd.get("options"):
            out["options"] = copy.deepcopy(cmd["options"])
        if key is not None:
            out["guild_id"] = str(key)
        return out

    async def _list_commands(self, request: web.Request) -> web.Response:
        return self._respond(self.commands.get(self._commands_key(request), []))

    async def _bulk_commands(self, request: web.Request) -> web.Response:
        key = self._commands_key(request)
        body = self._call(request).json
        if not isinstance(body, list):
            raise _err(
                400,
                "Invalid Form Body",
                50035,
                {"_errors": [{"code": "BASE_TYPE_LIST", "message": "Expected a list"}]},
            )
        errors = _FormErrors()
        names: set[tuple[int, str]] = set()
        for i, cmd in enumerate(body):
            self._validate_command(errors, [i], cmd)
            ident = (int(cmd.get("type") or 1), str(cmd.get("name")))
            if ident in names:
                errors.add(
                    [i, "name"],
                    "APPLICATION_COMMANDS_DUPLICATE_NAME",
                    "Application command names must be unique",
                )
            names.add(ident)
        if len(body) > 100:
            errors.add([], "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
        errors.raise_if_any()
        old = {(c["type"], c["name"]): c for c in self.commands.get(key, [])}
        stored = [
            self._store_command(key, cmd, old.get((int(cmd.get("type") or 1), cmd["name"])))
            for cmd in body
        ]
        self.commands[key] = stored
        return self._respond(stored)

    async def _upsert_command(self, request: web.Request) -> web.Response:
        key = self._commands_key(request)
        cmd = self._json_body(request)
        errors = _FormErrors()
        self._validate_command(errors, [], cmd)
        errors.raise_if_any()
        current = self.commands.setdefault(key, [])
        ident = (int(cmd.get("type") or 1), cmd["name"])
        existing = next((c for c in current if (c["type"], c["name"]) == ident), None)
        stored = self._store_command(key, cmd, existing)
        if existing is not None:
            current[current.index(existing)] = stored
            return self._respond(stored)
        current.append(stored)
        return self._respond(stored, 201)

    def _find_command(self, request: web.Request) -> tuple[int | None, JSON]:
        key = self._commands_key(request)
        for cmd in self.commands.get(key, []):
            if cmd["id"] == request.match_info["cmd_id"]:
                return key, cmd
        raise _err(404, "Unknown application command", 10063)

    async def _get_command(self, request: web.Request) -> web.Response:
        return self._respond(self._find_command(request)[1])

    async def _edit_command(self, request: web.Request) -> web.Response:
        key, cmd = self._find_command(request)
        merged = {**cmd, **self._json_body(request)}
        errors = _FormErrors()
        self._validate_command(errors, [], merged)
        errors.raise_if_any()
        stored = self._store_command(key, merged, cmd)
        cmds = self.commands[key]
        cmds[cmds.index(cmd)] = stored
        return self._respond(stored)

    async def _delete_command(self, request: web.Request) -> web.Response:
        key, cmd = self._find_command(request)
        self.commands[key].remove(cmd)
        return self._respond(None, 204)

    # ------------------------------------------------------------------ REST: channels/messages

    def _channel(self, request: web.Request) -> JSON:
        channel = self.channels.get(int(request.match_info["channel_id"]))
        if channel is None:
            raise _err(404, "Unknown Channel", 10003)
        return channel

    def add_channel(
        self,
        name: str,
        *,
        type: int = 0,
        permission_overwrites: Sequence[Mapping[str, Any]] = (),
        parent_id: int | None = None,
        topic: str | None = None,
    ) -> JSON:
        """Add a guild channel (text by default). It is in GUILD_CREATE for clients that
        connect afterwards; for a connected client ``await fake.dispatch("CHANNEL_CREATE", ch)``.
        Overwrites: ``{"id": role_or_user_id, "type": 0 (role) | 1 (member), "allow": "0",
        "deny": str(Perm.SEND_MESSAGES)}``."""
        channel: JSON = {
            "id": str(snowflake()),
            "type": type,
            "name": name,
            "position": len(self.guild["channels"]),
            "parent_id": str(parent_id) if parent_id is not None else None,
            "flags": 0,
            "permission_overwrites": [
                {k: str(v) if k != "type" else int(v) for k, v in ow.items()}
                for ow in permission_overwrites
            ],
            "guild_id": self.guild["id"],
        }
        if type == 0:
            channel.update(topic=topic, nsfw=False, rate_limit_per_user=0, last_message_id=None)
        if type == FORUM:
            channel.update(
                topic=topic,
                nsfw=False,
                rate_limit_per_user=0,
                last_message_id=None,
                available_tags=[],
                default_reaction_emoji=None,
                default_sort_order=None,
                default_forum_layout=0,
                default_auto_archive_duration=1440,
            )
        self.guild["channels"].append(channel)
        self.channels[int(channel["id"])] = channel
        return channel

    def bot_permissions(self, channel_id: int) -> int:
        """The bot's computed permissions in a channel (DMs: what Discord allows there)."""
        channel = self.channels.get(channel_id)
        if channel is None or not channel.get("guild_id"):
            return (
                Perm.VIEW_CHANNEL
                | Perm.SEND_MESSAGES
                | Perm.EMBED_LINKS
                | Perm.ATTACH_FILES
                | Perm.READ_MESSAGE_HISTORY
                | Perm.ADD_REACTIONS
            )
        return compute_permissions(
            guild_member(self.bot_user, guild=self.guild), channel_id, guild=self.guild
        )

    def _require(self, channel: Mapping[str, Any], needed: int) -> None:
        perms = self.bot_permissions(int(channel["id"]))
        if not perms & Perm.VIEW_CHANNEL:
            raise _err(403, "Missing Access", 50001)
        if perms & needed != needed:
            raise _err(403, "Missing Permissions", 50013)

    async def _get_channel(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        self._require(channel, Perm.VIEW_CHANNEL)
        return self._respond(channel)

    def messages_in(self, channel_id: int, *, include_ephemeral: bool = False) -> list[JSON]:
        """Stored messages of a channel, oldest first."""
        return [
            m
            for m in self.messages.values()
            if m["channel_id"] == str(channel_id)
            and (include_ephemeral or not int(m.get("flags") or 0) & MessageFlag.EPHEMERAL)
        ]

    async def _list_messages(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        self._require(channel, Perm.VIEW_CHANNEL | Perm.READ_MESSAGE_HISTORY)
        limit = max(1, min(100, int(request.query.get("limit", "50"))))
        return self._respond(list(reversed(self.messages_in(int(channel["id"]))))[:limit])

    def _stored_message(self, channel: Mapping[str, Any], message_id: int | str) -> JSON:
        msg = self.messages.get(int(message_id))
        if msg is None or msg["channel_id"] != channel["id"]:
            raise _err(404, "Unknown Message", 10008)
        return msg

    def _resolve_mentions(self, msg: JSON, allowed: Mapping[str, Any] | None) -> None:
        content = msg.get("content") or ""
        parse = None if allowed is None else set(allowed.get("parse") or [])
        users_allowed = set() if allowed is None else {str(u) for u in allowed.get("users") or []}
        roles_allowed = set() if allowed is None else {str(r) for r in allowed.get("roles") or []}
        known = _known_users(self.guild)
        mentions = []
        for uid in dict.fromkeys(_MENTION_RE.findall(content)):
            if uid in known and (parse is None or "users" in parse or uid in users_allowed):
                mentions.append(copy.deepcopy(known[uid]))
        role_ids = {r["id"] for r in self.guild["roles"]}
        mention_roles = [
            rid
            for rid in dict.fromkeys(_ROLE_MENTION_RE.findall(content))
            if rid in role_ids and (parse is None or "roles" in parse or rid in roles_allowed)
        ]
        everyone = ("@everyone" in content or "@here" in content) and (
            parse is None or "everyone" in parse
        )
        msg["mentions"] = mentions
        msg["mention_roles"] = mention_roles
        msg["mention_everyone"] = bool(everyone)

    @staticmethod
    def _attachments(
        channel_id: str, payload: Mapping[str, Any], files: Sequence[UploadedFile]
    ) -> list[JSON]:
        """Attachment objects for uploaded ``files[n]`` parts (metadata from ``attachments``)."""
        attachments = []
        meta = {str(a.get("id")): a for a in payload.get("attachments") or []}
        for index, f in enumerate(files):
            m = re.fullmatch(r"files\[(\d+)\]", f.field)
            info = meta.get(m.group(1) if m else str(index), {})
            aid = snowflake(worker=6)
            filename = info.get("filename") or f.filename or f"file{index}"
            url = f"https://cdn.discordapp.com/attachments/{channel_id}/{aid}/{filename}"
            att: JSON = {
                "id": str(aid),
                "filename": filename,
                "size": len(f.data),
                "url": url,
                "proxy_url": url.replace("cdn.discordapp.com", "media.discordapp.net"),
                # Discord names the type from the file (discord.py sends octet-stream parts).
                "content_type": (
                    mimetypes.guess_type(filename)[0]
                    or f.content_type
                    or "application/octet-stream"
                ),
            }
            if info.get("description"):
                att["description"] = info["description"]
            attachments.append(att)
        return attachments

    def _build_message(
        self,
        channel: Mapping[str, Any],
        payload: Mapping[str, Any],
        files: Sequence[UploadedFile],
        *,
        msg_type: int = 0,
        interaction: InteractionState | None = None,
        extra_flags: int = 0,
        message_id: int | None = None,
    ) -> JSON:
        allowed_flags = (
            MessageFlag.SUPPRESS_EMBEDS
            | MessageFlag.SUPPRESS_NOTIFICATIONS
            | MessageFlag.IS_COMPONENTS_V2
            | (MessageFlag.EPHEMERAL if interaction is not None else 0)
        )
        flags = (int(payload.get("flags") or 0) & allowed_flags) | extra_flags
        attachments = self._attachments(str(channel["id"]), payload, files)
        msg: JSON = {
            "type": msg_type,
            "content": payload.get("content") or "",
            "mentions": [],
            "mention_roles": [],
            "attachments": attachments,
            "embeds": [_normalize_embed(e) for e in payload.get("embeds") or []],
            "timestamp": _iso_now(),
            "edited_timestamp": None,
            "flags": flags,
            "components": _number_components(payload.get("components") or []),
            "id": str(message_id or snowflake(worker=2)),
            "channel_id": str(channel["id"]),
            "author": copy.deepcopy(self.bot_user),
            "pinned": False,
            "mention_everyone": False,
            "tts": bool(payload.get("tts", False)),
        }
        if payload.get("poll"):
            msg["poll"] = copy.deepcopy(payload["poll"])
        if payload.get("nonce") is not None:
            msg["nonce"] = payload["nonce"]
        if not flags & MessageFlag.LOADING:
            _validate_message(msg)
        self._resolve_mentions(msg, payload.get("allowed_mentions"))
        ref = payload.get("message_reference")
        if ref:
            ref_id = ref.get("message_id")
            ref_channel = str(ref.get("channel_id") or channel["id"])
            referenced = self.messages.get(int(ref_id)) if ref_id else None
            if referenced is None or referenced["channel_id"] != ref_channel:
                if ref.get("fail_if_not_exists", True):
                    errors = _FormErrors()
                    errors.add(["message_reference"], "REPLIES_UNKNOWN_MESSAGE", "Unknown message")
                    errors.raise_if_any()
            else:
                msg["type"] = 19
                msg["message_reference"] = {
                    "type": 0,
                    "channel_id": ref_channel,
                    "message_id": str(ref_id),
                    **({"guild_id": channel["guild_id"]} if channel.get("guild_id") else {}),
                }
                msg["referenced_message"] = copy.deepcopy(referenced)
                allowed = payload.get("allowed_mentions")
                replied = allowed is None or allowed.get("replied_user", True)
                if replied and referenced["author"]["id"] not in {u["id"] for u in msg["mentions"]}:
                    msg["mentions"].append(copy.deepcopy(referenced["author"]))
        if interaction is not None:
            msg["webhook_id"] = str(self.application_id)
            msg["application_id"] = str(self.application_id)
            user = interaction.user
            msg["interaction_metadata"] = {
                "id": str(interaction.id),
                "type": interaction.type,
                "user": user,
                "authorizing_integration_owners": interaction.payload.get(
                    "authorizing_integration_owners", {}
                ),
                **({"name": interaction.payload["data"]["name"]} if interaction.type == 2 else {}),
            }
            if interaction.type == 2:
                msg["interaction"] = {
                    "id": str(interaction.id),
                    "type": 2,
                    "name": interaction.payload["data"]["name"],
                    "user": user,
                }
        return msg

    async def _create_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        if channel["type"] == FORUM:  # a forum holds posts (threads), not messages
            raise _err(400, "Cannot send messages in a non-text channel", 50008)
        call = self._call(request)
        payload = call.json if isinstance(call.json, dict) else {}
        if self.post_delay:  # Discord's latency; the message exists when the answer goes out
            await asyncio.sleep(self.post_delay)
        nonce = payload.get("nonce")
        if payload.get("enforce_nonce") and nonce is not None:
            # "checked for uniqueness in the past few minutes": the same author's message
            # with that nonce is returned, no new one is created.
            seen = self._nonces.get(str(nonce))
            if seen is not None and time.monotonic() - seen[0] < self.nonce_window:
                self.nonce_hits += 1
                return self._respond(self.messages[seen[1]])
        needed = Perm.SEND_MESSAGES | (Perm.ATTACH_FILES if call.files else 0)
        if payload.get("message_reference"):
            needed |= Perm.READ_MESSAGE_HISTORY
        self._require(channel, needed)
        msg = self._build_message(channel, payload, call.files)
        self.messages[int(msg["id"])] = msg
        if payload.get("enforce_nonce") and nonce is not None:
            self._nonces[str(nonce)] = (time.monotonic(), int(msg["id"]))
        channel["last_message_id"] = msg["id"]
        await self._echo("MESSAGE_CREATE", msg)
        return self._respond(msg)

    def _new_thread(self, parent: Mapping[str, Any], name: Any, thread_id: int) -> JSON:
        """A public thread (type 11) of ``parent``, owned by the bot, stored as a channel."""
        errors = _FormErrors()
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            errors.add(["name"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        errors.raise_if_any()
        thread: JSON = {
            "id": str(thread_id),
            "type": 11,
            "name": name,
            "parent_id": parent["id"],
            "guild_id": parent["guild_id"],
            "owner_id": self.bot_user["id"],
            "flags": 0,
            "permission_overwrites": [],
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "message_count": 0,
            "member_count": 1,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": 1440,
                "archive_timestamp": _iso_now(),
                "locked": False,
            },
        }
        self.channels[thread_id] = thread
        self.threads.append(thread)
        return thread

    async def _create_forum_post(self, request: web.Request) -> web.Response:
        """``POST /channels/{forum}/threads``: a forum post = a thread + its starter message
        (same id). Only forum channels here; the message is checked like any other."""
        channel = self._channel(request)
        body = self._json_body(request)
        if channel["type"] != FORUM:
            raise _err(400, "Cannot send messages in a non-text channel", 50008)
        self._require(channel, Perm.SEND_MESSAGES)
        message = body.get("message")
        if not isinstance(message, dict):
            errors = _FormErrors()
            errors.add(["message"], "BASE_TYPE_REQUIRED", "This field is required")
            errors.raise_if_any()
        thread_id = snowflake(worker=7)
        starter = self._build_message(
            {**channel, "id": str(thread_id)}, message, [], message_id=thread_id
        )
        thread = self._new_thread(channel, body.get("name"), thread_id)
        self.messages[thread_id] = starter
        thread["last_message_id"] = starter["id"]
        await self._echo("MESSAGE_CREATE", starter)
        return self._respond({**thread, "message": starter}, status=201)

    async def _thread_from_message(self, request: web.Request) -> web.Response:
        """``POST /channels/{id}/messages/{id}/threads``: the thread takes the message's id;
        a second one on the same message is refused (160004) as on Discord."""
        channel = self._channel(request)
        message = self._stored_message(channel, request.match_info["message_id"])
        body = self._json_body(request)
        self._require(channel, Perm.SEND_MESSAGES)
        thread_id = int(message["id"])
        if thread_id in self.channels:
            raise _err(400, "A thread has already been created for this message", 160004)
        thread = self._new_thread(channel, body.get("name"), thread_id)
        return self._respond(thread, status=201)

    async def _active_threads(self, request: web.Request) -> web.Response:
        self._check_guild(request)
        active = [t for t in self.threads if not t["thread_metadata"]["archived"]]
        return self._respond({"threads": copy.deepcopy(active), "members": []})

    async def _get_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        self._require(channel, Perm.VIEW_CHANNEL | Perm.READ_MESSAGE_HISTORY)
        return self._respond(self._stored_message(channel, request.match_info["message_id"]))

    def _apply_edit(
        self, msg: JSON, payload: Mapping[str, Any], files: Sequence[UploadedFile]
    ) -> JSON:
        updated = copy.deepcopy(msg)
        if "content" in payload:
            updated["content"] = payload["content"] or ""
        if "embeds" in payload:
            updated["embeds"] = [_normalize_embed(e) for e in payload["embeds"] or []]
        if "components" in payload:
            updated["components"] = _number_components(payload["components"] or [])
        if "flags" in payload and payload["flags"] is not None:
            keep = int(updated.get("flags") or 0) & ~MessageFlag.SUPPRESS_EMBEDS
            updated["flags"] = keep | (int(payload["flags"]) & MessageFlag.SUPPRESS_EMBEDS)
        if "attachments" in payload or files:
            keep_ids = {str(a.get("id")) for a in payload.get("attachments") or []}
            kept = [a for a in updated.get("attachments", []) if a["id"] in keep_ids]
            fresh = self._attachments(msg["channel_id"], payload, files)
            updated["attachments"] = kept + fresh
        updated["flags"] = int(updated.get("flags") or 0) & ~MessageFlag.LOADING
        updated["edited_timestamp"] = _iso_now()
        _validate_message(updated)
        if "content" in payload or "allowed_mentions" in payload:
            self._resolve_mentions(updated, payload.get("allowed_mentions"))
        return updated

    async def _edit_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        self._require(channel, Perm.VIEW_CHANNEL)
        msg = self._stored_message(channel, request.match_info["message_id"])
        if msg["author"]["id"] != self.bot_user["id"]:
            raise _err(403, "Cannot edit a message authored by another user", 50005)
        call = self._call(request)
        updated = self._apply_edit(
            msg, call.json if isinstance(call.json, dict) else {}, call.files
        )
        self.messages[int(msg["id"])] = updated
        await self._echo("MESSAGE_UPDATE", updated)
        return self._respond(updated)

    async def _delete_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        msg = self._stored_message(channel, request.match_info["message_id"])
        if msg["author"]["id"] != self.bot_user["id"]:
            self._require(channel, Perm.MANAGE_MESSAGES)
        del self.messages[int(msg["id"])]
        await self._echo_delete(msg)
        return self._respond(None, 204)

    async def _typing(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        self._require(channel, Perm.SEND_MESSAGES)
        return self._respond(None, 204)

    async def _reaction(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        self._require(
            channel,
            Perm.READ_MESSAGE_HISTORY | (Perm.ADD_REACTIONS if request.method == "PUT" else 0),
        )
        self._stored_message(channel, request.match_info["message_id"])
        return self._respond(None, 204)

    # ------------------------------------------------------------------ REST: interactions

    def _interaction(self, request: web.Request, *, for_webhook: bool = False) -> InteractionState:
        token = request.match_info["token"]
        if for_webhook:
            if int(request.match_info["app_id"]) != self.application_id:
                raise _err(404, "Unknown Webhook", 10015)
            state = next((i for i in self.interactions.values() if i.token == token), None)
            if state is None or not state.acknowledged:
                raise _err(404, "Unknown Webhook", 10015)
            return state
        state = self.interactions.get(int(request.match_info["interaction_id"]))
        if state is None or state.token != token:
            raise _err(404, "Unknown interaction", 10062)
        return state

    def _interaction_channel(self, state: InteractionState) -> JSON:
        channel = self.channels.get(state.channel_id or 0)
        if channel is not None:
            return channel
        raw = state.payload.get("channel") or {"id": str(state.channel_id), "type": 1}
        return {"id": raw["id"], "guild_id": raw.get("guild_id"), "type": raw.get("type", 0)}

    async def _interaction_callback(self, request: web.Request) -> web.Response:
        state = self._interaction(request)
        body = self._json_body(request)
        loop = asyncio.get_running_loop()
        if state.acknowledged:
            raise _err(400, "Interaction has already been acknowledged.", 40060)
        if (
            self.interaction_ack_deadline is not None
            and loop.time() - state.received_at > self.interaction_ack_deadline
        ):
            raise _err(404, "Unknown interaction", 10062)
        rtype = int(body.get("type", 0))
        data = body.get("data") or {}
        valid = {
            2: {4, 5, 9},
            3: {4, 5, 6, 7, 9},
            4: {8},
            5: {4, 5, 6, 7},
        }.get(state.type, set())
        if rtype not in valid:
            errors = _FormErrors()
            errors.add(
                ["type"], "INTERACTION_RESPONSE_TYPE_INVALID", "Invalid interaction response type"
            )
            errors.raise_if_any()
        channel = self._interaction_channel(state)
        call = self._call(request)
        msg_type = 20 if state.type == 2 else 0
        resource: JSON = {"type": rtype}
        response_message: JSON | None = None
        if rtype == 4:
            response_message = self._build_message(
                channel, data, call.files, msg_type=msg_type, interaction=state
            )
        elif rtype == 5:
            flags = MessageFlag.LOADING | (int(data.get("flags") or 0) & MessageFlag.EPHEMERAL)
            response_message = self._build_message(
                channel, {}, [], msg_type=msg_type, interaction=state, extra_flags=flags
            )
        elif rtype in (6, 7):
            source = state.payload.get("message")
            if source is not None:
                sid = int(source["id"])
                current = self.messages.get(sid) or copy.deepcopy(source)
                if rtype == 7:
                    current = self._apply_edit(current, data, call.files)
                    self.messages[sid] = current
                    await self._echo("MESSAGE_UPDATE", current)
                state.original_message_id = sid
                resource["message"] = current
        elif rtype == 9:
            errors = _FormErrors()
            errors.max_len(["data", "title"], data.get("title"), 45)
            errors.max_len(["data", "custom_id"], data.get("custom_id"), 100)
            errors.max_len(["data", "components"], data.get("components") or [], 5)
            errors.raise_if_any()
        state.response_type = rtype
        state.response_data = data
        if response_message is not None:
            self.messages[int(response_message["id"])] = response_message
            state.original_message_id = int(response_message["id"])
            resource["message"] = response_message
            if rtype == 4:
                await self._echo("MESSAGE_CREATE", response_message)
        msg_for_meta = resource.get("message")
        summary: JSON = {"id": str(state.id), "type": state.type}
        if msg_for_meta is not None and rtype in (4, 5):
            summary.update(
                response_message_id=msg_for_meta["id"],
                response_message_loading=rtype == 5,
                response_message_ephemeral=bool(int(msg_for_meta["flags"]) & MessageFlag.EPHEMERAL),
            )
        self._poke()
        if request.query.get("with_response", "").lower() not in ("1", "true"):
            return self._respond(None, 204)
        out: JSON = {"interaction": summary}
        if rtype != 8:
            out["resource"] = resource
        return self._respond(out)

    def _webhook_message(self, request: web.Request, state: InteractionState) -> JSON:
        mid = request.match_info["message_id"]
        if mid == "@original":
            if state.original_message_id is None or state.original_message_id not in self.messages:
                raise _err(404, "Unknown Message", 10008)
            return self.messages[state.original_message_id]
        if not mid.isdigit() or int(mid) not in self.messages:
            raise _err(404, "Unknown Message", 10008)
        if int(mid) not in state.followup_ids and int(mid) != state.original_message_id:
            raise _err(404, "Unknown Message", 10008)
        return self.messages[int(mid)]

    async def _webhook_execute(self, request: web.Request) -> web.Response:
        state = self._interaction(request, for_webhook=True)
        call = self._call(request)
        payload = call.json if isinstance(call.json, dict) else {}
        channel = self._interaction_channel(state)
        original = self.messages.get(state.original_message_id or 0)
        if (
            state.response_type == 5
            and original is not None
            and int(original["flags"]) & MessageFlag.LOADING
        ):
            # The first follow-up after a deferred "thinking" response replaces the placeholder.
            msg = self._build_message(
                channel,
                payload,
                call.files,
                msg_type=original["type"],
                interaction=state,
                extra_flags=int(original["flags"]) & MessageFlag.EPHEMERAL,
                message_id=int(original["id"]),
            )
            msg["timestamp"] = original["timestamp"]
            msg["edited_timestamp"] = _iso_now()
            self.messages[int(msg["id"])] = msg
            if not int(msg["flags"]) & MessageFlag.EPHEMERAL:
                await self._echo("MESSAGE_UPDATE", msg)
        else:
            msg = self._build_message(
                channel,
                payload,
                call.files,
                msg_type=20 if state.type == 2 else 0,
                interaction=state,
            )
            self.messages[int(msg["id"])] = msg
            state.followup_ids.append(int(msg["id"]))
            if not int(msg["flags"]) & MessageFlag.EPHEMERAL:
                await self._echo("MESSAGE_CREATE", msg)
        if request.query.get("wait", "").lower() in ("1", "true"):
            return self._respond(msg)
        return self._respond(None, 204)

    async def _webhook_get(self, request: web.Request) -> web.Response:
        state = self._interaction(request, for_webhook=True)
        return self._respond(self._webhook_message(request, state))

    async def _webhook_edit(self, request: web.Request) -> web.Response:
        state = self._interaction(request, for_webhook=True)
        msg = self._webhook_message(request, state)
        call = self._call(request)
        updated = self._apply_edit(
            msg, call.json if isinstance(call.json, dict) else {}, call.files
        )
        self.messages[int(msg["id"])] = updated
        if not int(updated["flags"]) & MessageFlag.EPHEMERAL:
            await self._echo("MESSAGE_UPDATE", updated)
        return self._respond(updated)

    async def _webhook_delete(self, request: web.Request) -> web.Response:
        state = self._interaction(request, for_webhook=True)
        msg = self._webhook_message(request, state)
        del self.messages[int(msg["id"])]
        if not int(msg["flags"]) & MessageFlag.EPHEMERAL:
            await self._echo_delete(msg)
        return self._respond(None, 204)

    # ------------------------------------------------------------------ gateway: server side

    async def _echo(self, event: str, msg: Mapping[str, Any]) -> None:
        if not self.echo_bot_messages or self.session is None:
            return
        if int(msg.get("flags") or 0) & MessageFlag.EPHEMERAL:
            return
        data = copy.deepcopy(dict(msg))
        channel = self.channels.get(int(msg["channel_id"]))
        if channel is not None and channel.get("guild_id"):
            data["guild_id"] = channel["guild_id"]
            data["member"] = _partial_member(guild_member(self.bot_user, guild=self.guild))
        await self.dispatch(event, data)

    async def _echo_delete(self, msg: Mapping[str, Any]) -> None:
        if not self.echo_bot_messages or self.session is None:
            return
        data: JSON = {"id": msg["id"], "channel_id": msg["channel_id"]}
        channel = self.channels.get(int(msg["channel_id"]))
        if channel is not None and channel.get("guild_id"):
            data["guild_id"] = channel["guild_id"]
        await self.dispatch("MESSAGE_DELETE", data)

    def _filter_for_intents(self, event: str, data: JSON, session: GatewaySession) -> JSON | None:
        if event not in ("MESSAGE_CREATE", "MESSAGE_UPDATE"):
            return data
        in_guild = data.get("guild_id") is not None
        needed = Intents.GUILD_MESSAGES if in_guild else Intents.DIRECT_MESSAGES
        if not session.intents & needed:
            return None
        if session.intents & Intents.MESSAGE_CONTENT or not in_guild:
            return data
        bot_id = self.bot_user["id"]
        author_id = (data.get("author") or {}).get("id")
        mentioned = any(u.get("id") == bot_id for u in data.get("mentions") or [])
        if author_id == bot_id or mentioned:
            return data
        stripped = dict(data)
        stripped.update(content="", embeds=[], attachments=[], components=[])
        stripped.pop("poll", None)
        return stripped

    def _observe_dispatch(self, event: str, data: JSON) -> None:
        if event == "INTERACTION_CREATE":
            iid = int(data["id"])
            if iid in self.interactions:
                return  # a replayed interaction keeps its state: a second ack gets 40060
            self.interactions[iid] = InteractionState(
                id=iid,
                token=data["token"],
                type=int(data["type"]),
                channel_id=int(data["channel_id"]) if data.get("channel_id") else None,
                guild_id=int(data["guild_id"]) if data.get("guild_id") else None,
                payload=copy.deepcopy(data),
                received_at=asyncio.get_running_loop().time(),
            )
        elif event == "MESSAGE_CREATE" and data.get("author", {}).get("id") != self.bot_user["id"]:
            stored = {
                k: copy.deepcopy(v) for k, v in data.items() if k not in ("member", "guild_id")
            }
            self.messages[int(data["id"])] = stored
            channel = self.channels.get(int(data["channel_id"]))
            if channel is None and not data.get("guild_id") and data.get("author"):
                channel = self.open_dm(data["author"])  # a user DMing the bot opens the channel
                if channel["id"] != data["channel_id"]:
                    channel = dict(channel, id=data["channel_id"])
                    self.channels[int(data["channel_id"])] = channel
            if channel is not None:
                channel["last_message_id"] = data["id"]

    async def _current_session(self, timeout: float) -> GatewaySession:
        await self.wait_until(lambda: self.session is not None, timeout)
        assert self.session is not None
        return self.session

    async def dispatch(
        self, event: str, data: Mapping[str, Any], *, timeout: float = 5.0
    ) -> int | None:
        """Send a DISPATCH (op 0) ``event`` with ``data`` to the client; returns its sequence.

        Waits (up to ``timeout``) for a session to exist. While the client is disconnected the
        event is only buffered and gets replayed on RESUME. INTERACTION_CREATE registers the
        interaction (for callback/follow-up checks); MESSAGE_CREATE stores the message (for
        replies). Guild messages are filtered by intents like Discord does: returns ``None``
        when the event was dropped (no GUILD_MESSAGES intent).
        """
        session = await self._current_session(timeout)
        payload = copy.deepcopy(dict(data))
        filtered = self._filter_for_intents(event, payload, session)
        self._observe_dispatch(event, payload)
        if filtered is None:
            return None
        async with self._send_lock:
            seq = await self._send_dispatch_locked(session, event, filtered)
        self._poke()
        return seq

    async def _send_dispatch_locked(self, session: GatewaySession, event: str, data: Any) -> int:
        session.seq += 1
        frame = {"op": 0, "t": event, "s": session.seq, "d": data}
        session.log.append(frame)
        conn = self._live
        if conn is not None and conn.session is session:
            await conn.send(frame)
        return session.seq

    def _ready_payload(self, session: GatewaySession) -> JSON:
        ready: JSON = load_sample("ready.json")
        me = self.user_me
        ready["user"] = {
            k: me.get(k)
            for k in (
                "verified",
                "username",
                "mfa_enabled",
                "id",
                "global_name",
                "flags",
                "email",
                "discriminator",
                "bot",
                "avatar",
            )
        }
        ready["guilds"] = [{"id": self.guild["id"], "unavailable": True}]
        ready["session_id"] = session.session_id
        ready["resume_gateway_url"] = self.resume_gateway_url
        flags = _APP_FLAG_BADGE
        for intent, flag in _APP_FLAG_FOR_INTENT.items():
            if self.allowed_privileged_intents & intent:
                flags |= flag
        ready["application"] = {"id": str(self.application_id), "flags": flags}
        ready["_trace"] = [_TRACE]
        if session.shard is not None:
            ready["shard"] = list(session.shard)
        return ready

    def guild_create_payload(self, intents: int = Intents.GUILDS | Intents.GUILD_MEMBERS) -> JSON:
        """GUILD_CREATE ``d`` for the fake's guild (current channels/members). Without the
        GUILD_MEMBERS intent Discord only includes the bot's own member."""
        guild = copy.deepcopy(self.guild)
        if not intents & Intents.GUILD_MEMBERS:
            guild["members"] = [
                m for m in guild["members"] if m["user"]["id"] == self.bot_user["id"]
            ]
        guild["channels"] = [
            {k: v for k, v in c.items() if k != "guild_id"}
            for c in self.channels.values()
            if c.get("guild_id") == self.guild["id"]
        ]
        guild["member_count"] = len(self.guild["members"])
        return guild

    async def _gateway_ws(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        compress = request.query.get("compress")
        conn = GatewayConnection(
            path=request.path,
            query=dict(request.query),
            ws=ws,
            request=request,
            compressor=zlib.compressobj()
            if compress == "zlib-stream" and self.transport_compression
            else None,
        )
        self.gateway_connections.append(conn)
        self._poke()
        try:
            await conn.send(
                {
                    "op": 10,
                    "d": {"heartbeat_interval": self.heartbeat_interval_ms, "_trace": [_TRACE]},
                    "s": None,
                    "t": None,
                }
            )
            async for msg in ws:
                if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                    break
                try:
                    payload = json.loads(msg.data)
                    if not isinstance(payload, dict):
                        raise ValueError
                except ValueError:
                    await self._close(conn, 4002, "Error while decoding payload.")
                    break
                self.gateway_received.append(payload)
                await self._on_gateway_payload(conn, payload)
                self._poke()
                if ws.closed:
                    break
        finally:
            conn.close_code = ws.close_code
            if self._live is conn:
                self._live = None
            if (
                not conn.server_closed
                and conn.session is not None
                and ws.close_code in (1000, 1001)
            ):
                conn.session.invalidated = True  # a clean client close ends the session on Discord
            self._poke()
        return ws

    async def _close(self, conn: GatewayConnection, code: int, reason: str) -> None:
        conn.server_closed = True
        if self._live is conn:
            self._live = None
        if code in (4004, 4007, 4009, 4010, 4011, 4012, 4013, 4014) and conn.session is not None:
            conn.session.invalidated = True
        await conn.ws.close(code=code, message=reason.encode())

    async def _on_gateway_payload(self, conn: GatewayConnection, payload: JSON) -> None:
        op = payload.get("op")
        d = payload.get("d")
        if op == 1:
            self.heartbeat_count += 1
            await conn.send({"op": 11, "d": None, "s": None, "t": None})
        elif op == 2:
            await self._on_identify(conn, d if isinstance(d, dict) else {})
        elif op == 6:
            await self._on_resume(conn, d if isinstance(d, dict) else {})
        elif conn.session is None:
            await self._close(conn, 4003, "Not authenticated.")
        elif op == 8:
            await self._on_request_members(d if isinstance(d, dict) else {})
        elif op in (3, 4):
            pass  # presence / voice state updates: recorded in gateway_received
        else:
            await self._close(conn, 4001, "Unknown opcode.")

    async def _on_identify(self, conn: GatewayConnection, d: JSON) -> None:
        if conn.session is not None:
            await self._close(conn, 4005, "Already authenticated.")
            return
        token = d.get("token")
        if not token or (self.token is not None and token != self.token):
            await self._close(conn, 4004, "Authentication failed.")
            return
        intents = d.get("intents")
        if not isinstance(intents, int) or intents < 0:
            await self._close(conn, 4013, "Invalid intent(s).")
            return
        if intents & Intents.PRIVILEGED & ~self.allowed_privileged_intents:
            await self._close(conn, 4014, "Disallowed intent(s).")
            return
        shard = d.get("shard")
        if shard is not None and (len(shard) != 2 or not 0 <= shard[0] < shard[1] or shard[1] != 1):
            await self._close(conn, 4010, "Invalid shard.")
            return
        self.identify_count += 1
        self.identify_payloads.append(copy.deepcopy(d))
        session = GatewaySession(
            session_id=uuid.uuid4().hex, token=str(token), intents=intents, shard=shard
        )
        self._sessions[session.session_id] = session
        self.session = session
        async with self._send_lock:
            conn.session = session
            self._live = conn
            await self._send_dispatch_locked(session, "READY", self._ready_payload(session))
            await self._send_dispatch_locked(
                session, "GUILD_CREATE", self.guild_create_payload(session.intents)
            )

    async def _on_resume(self, conn: GatewayConnection, d: JSON) -> None:
        session = self._sessions.get(str(d.get("session_id")))
        if session is None or session.invalidated or d.get("token") != session.token:
            self.invalid_session_count += 1
            await conn.send({"op": 9, "d": False, "s": None, "t": None})
            return
        self.resume_count += 1
        self.resume_payloads.append(copy.deepcopy(d))
        client_seq = int(d.get("seq") or 0)
        async with self._send_lock:
            conn.session = session
            old = self._live
            self._live = conn
            if old is not None and old is not conn and not old.ws.closed:
                old.server_closed = True
                await old.ws.close(code=4000, message=b"Session resumed elsewhere.")
            for frame in session.log:
                if frame["s"] > client_seq:
                    self.replayed.append(frame)
                    await conn.send(frame)
            session.seq += 1
            await conn.send({"op": 0, "t": "RESUMED", "s": session.seq, "d": {"_trace": [_TRACE]}})

    async def _on_request_members(self, d: JSON) -> None:
        members = self.guild["members"]
        user_ids = d.get("user_ids")
        not_found: list[str] = []
        if user_ids is not None:
            ids = [str(u) for u in (user_ids if isinstance(user_ids, list) else [user_ids])]
            members = [m for m in members if m["user"]["id"] in ids]
            found = {m["user"]["id"] for m in members}
            not_found = [i for i in ids if i not in found]
        else:
            query = str(d.get("query") or "").lower()
            members = [m for m in members if m["user"]["username"].lower().startswith(query)]
            limit = int(d.get("limit") or 0)
            if limit:
                members = members[:limit]
        chunk: JSON = {
            "guild_id": self.guild["id"],
            "members": copy.deepcopy(members),
            "chunk_index": 0,
            "chunk_count": 1,
        }
        if not_found:
            chunk["not_found"] = not_found
        if d.get("presences"):
            chunk["presences"] = []
        if d.get("nonce") is not None:
            chunk["nonce"] = d["nonce"]
        await self.dispatch("GUILD_MEMBERS_CHUNK", chunk)

    # ------------------------------------------------------------------ gateway: test controls

    @property
    def connected(self) -> bool:
        """A client is connected with an identified/resumed session."""
        return self._live is not None and not self._live.ws.closed

    async def disconnect_client(self, code: int | None = 4000, reason: str = "") -> None:
        """Drop the client's gateway connection mid-session.

        ``code`` is sent in a close frame (4000 "unknown error": discord.py reconnects at once
        and RESUMEs on ``resume_gateway_url``; 1000 from the server is treated the same way;
        4007/4009 also invalidate the session so the RESUME gets INVALID_SESSION and the client
        IDENTIFYs again; 4004/4010-4014 are fatal for discord.py). ``code=None`` aborts the TCP
        connection without any close frame (a network drop).
        """
        conn = self._live
        if conn is None:
            raise RuntimeError("no client connected")
        if code is None:
            conn.server_closed = True
            self._live = None
            transport = conn.request.transport
            if transport is not None:
                transport.abort()
            return
        await self._close(conn, code, reason)

    async def send_reconnect(self) -> None:
        """Send op 7 RECONNECT (discord.py closes and RESUMEs)."""
        if self._live is None:
            raise RuntimeError("no client connected")
        await self._live.send({"op": 7, "d": None, "s": None, "t": None})

    async def invalidate_session(self, resumable: bool = False) -> None:
        """Send op 9 INVALID_SESSION; ``resumable=False`` also forgets the session."""
        conn = self._live
        if conn is None:
            raise RuntimeError("no client connected")
        if not resumable and conn.session is not None:
            conn.session.invalidated = True
        await conn.send({"op": 9, "d": resumable, "s": None, "t": None})

    async def wait_for_identify(self, count: int = 1, timeout: float = 5.0) -> None:
        await self.wait_until(lambda: self.identify_count >= count and self.connected, timeout)

    async def wait_for_resume(self, count: int = 1, timeout: float = 5.0) -> None:
        await self.wait_until(lambda: self.resume_count >= count and self.connected, timeout)


def iter_option_values(options: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Flatten interaction ``data.options`` into ``{name: value}`` (subcommands descended)."""
    out: dict[str, Any] = {}
    for opt in options:
        if opt.get("type") in (1, 2):
            out.update(iter_option_values(opt.get("options") or []))
        else:
            out[opt["name"]] = opt.get("value")
    return out


class DiscordThread:
    """The fake Discord on its own event loop thread (127.0.0.1, port 0)."""

    def __init__(self, **options: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.fake = FakeDiscord(patch_discord_py=False, **options)
        self.call(self.fake.start())

    def call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def stop(self) -> None:
        self.call(self.fake.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
