"""A local fake of the Slack Web API, plus builders for Slack's inbound wire payloads.

Nothing here talks to the internet. The fake is a threaded ``http.server`` bound to
``127.0.0.1:0`` that speaks Slack's real wire formats, so the *real* SDKs can be
pointed at it::

    from fakes.slack import FakeSlackAPI             # tests/ is on sys.path under pytest

    with FakeSlackAPI() as fake:
        client = WebClient(token="xoxb-test", base_url=fake.base_url)
        client.chat_postMessage(channel="C0NEWS0001", text="hi")
        call = fake.wait_for("chat.postMessage")     # -> Call(method, path, headers, params, ...)
        fake.fail_next("chat.postMessage", "channel_not_found")
        fake.rate_limit_next("chat.postMessage", retry_after=1)
        fake.lose_answer_next("chat.postMessage")      # posts, then answers HTTP 503

Requests
    Web API methods live under ``/api/<method>`` (``fake.base_url`` ends in ``/api/``).
    Bodies may be ``application/x-www-form-urlencoded``, ``application/json`` or
    ``multipart/form-data``; query-string parameters are merged in (slack_sdk's
    ``AsyncWebClient`` sends form params that way). The token is read from
    ``Authorization: Bearer <token>`` or, as Slack also allows, a ``token`` form
    field. ``oauth.v2.access`` takes client credentials as HTTP Basic auth or as
    ``client_id``/``client_secret`` fields. GET is accepted for every method.

Responses
    Real-shaped JSON: ``{"ok": true, ...}`` or HTTP 200 ``{"ok": false, "error": ...}``;
    rate limits are HTTP 429 with a ``Retry-After`` header. Token-authenticated calls carry
    ``X-OAuth-Scopes`` (the workspace's ``scopes``). Implemented methods:
    ``auth.test``, ``chat.postMessage``, ``chat.postEphemeral``, ``chat.update``,
    ``chat.delete``, ``conversations.history``, ``conversations.replies``,
    ``conversations.info``, ``conversations.join``,
    ``conversations.open``, ``users.info``, ``users.conversations``, ``views.publish``,
    ``oauth.v2.access``, ``files.getUploadURLExternal``, ``files.completeUploadExternal``.
    Any other method is recorded and answered ``{"ok": true}`` (see
    :meth:`FakeSlackAPI.unknown_methods`, :meth:`FakeSlackAPI.respond_with` to script a body).

File uploads (what slack_sdk's ``files_upload_v2`` does)
    ``files.getUploadURLExternal`` (``filename``, ``length``, optional ``alt_txt``) answers a
    ``file_id`` and an ``upload_url`` on this server (``/upload/v1/<key>``, 127.0.0.1), which
    takes the bytes as a raw body or as a multipart file part and answers ``OK - <bytes>``
    (``fail_next("upload_url", status=500)`` scripts a failure). ``files.completeUploadExternal``
    (``files`` JSON ``[{"id", "title"}]``, ``channel_id`` or ``channels``, ``thread_ts``,
    ``initial_comment``) shares them: the channel follows posting rules without
    ``chat:write.public`` (``not_in_channel``, ``channel_not_found``, ``is_archived``); an id
    never issued or never uploaded is ``file_not_found``, bytes that differ from the declared
    ``length`` are ``upload_length_mismatch``. Both need the ``files:write`` scope
    (``missing_scope`` otherwise, with ``needed``/``provided``). Each share posts a message with
    ``files`` and is recorded in :attr:`FakeSlackAPI.uploads` (:class:`Upload`).

State (all global to one fake, shared by every workspace)
    * channels: unknown IDs are auto-created on first use as public channels the bot
      is a member of (``strict_channels=True`` turns that off). ``add_channel``,
      ``archive_channel``, ``delete_channel`` set them up. Posting follows Slack's
      rules: deleted -> ``channel_not_found``; archived -> ``is_archived``; not a
      member -> ``not_in_channel`` (public; unless ``chat_write_public``) or
      ``channel_not_found`` (private). ``conversations.join`` makes the bot a member.
    * users: ``add_user(..., is_admin=True)``; unknown IDs get a regular,
      non-admin user. ``include_locale`` adds ``locale``.
    * messages: every posted message is stored (``fake.messages(channel)``);
      ``chat.update``/``chat.delete`` act on them.
    * blocks are checked against Slack's main limits (50 blocks, section text 3000,
      header 150, button text 75 / value 2000, 25 actions elements, 10 context
      elements, unique block_ids ...) -> ``invalid_blocks`` with ``errors``.
    * tokens: any ``xox*`` token is accepted as the default workspace unless
      ``strict_tokens=True``; tokens issued by ``oauth.v2.access`` map to their
      workspace; ``revoke_token`` -> ``token_revoked``; no token -> ``not_authed``.

OAuth
    ``fake.authorize_url`` serves ``GET /oauth/v2/authorize`` (what the user's browser
    opens): it 302-redirects to ``redirect_uri`` with a fresh ``code`` and the
    ``state``. ``issue_oauth_code()`` makes a code directly. ``oauth.v2.access``
    exchanges a code once (``invalid_code`` otherwise) for a bot token.

response_url
    ``fake.response_url(name)`` is ``http://127.0.0.1:PORT/response/<name>``. POSTs
    are recorded as calls with ``method == "response_url"`` and answered ``ok``.

Bolt over HTTP
    :class:`BoltHTTPServer` serves a sync ``slack_bolt.App`` on ``127.0.0.1:0`` with a
    threaded stdlib server, dispatching each request with
    ``app.dispatch(BoltRequest(...))`` (as bolt's own development server does, but
    non-blocking and multi-threaded). OAuth install/redirect GETs go to
    ``app.oauth_flow`` when one is configured. :func:`http_request` is a small urllib
    client that never raises on 4xx/5xx and never follows redirects.

The builders (:func:`slash_command_body`, :func:`app_mention_event`,
:func:`block_actions_body`, :func:`url_verification_body`) start from the samples in
``tests/data/slack/*.json`` and :func:`sign_request` produces Slack's v0 signature.
"""

from __future__ import annotations

import base64
import copy
import email.parser
import email.policy
import hashlib
import hmac
import itertools
import json
import mimetypes
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

if TYPE_CHECKING:
    from slack_bolt import App

__all__ = [
    "APP_ID",
    "BOT_ID",
    "BOT_USER_ID",
    "CHANNEL_ID",
    "DATA_DIR",
    "TEAM_ID",
    "USER_ID",
    "BoltHTTPServer",
    "Call",
    "FakeSlackAPI",
    "Upload",
    "HTTPResult",
    "Workspace",
    "app_mention_event",
    "block_actions_body",
    "block_actions_payload",
    "event_callback",
    "http_request",
    "load_sample",
    "sign_request",
    "slash_command_body",
    "url_verification_body",
]

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "slack"

# IDs used by the samples in tests/data/slack and as the fake's defaults.
TEAM_ID = "T0A1B2C3D4"
TEAM_NAME = "AI News Dev"
TEAM_DOMAIN = "ainews-dev"
APP_ID = "A0AINEWS01"
BOT_USER_ID = "U0BOTNEWS1"
BOT_ID = "B0BOTNEWS1"
BOT_NAME = "ainews"
USER_ID = "U0ALICE001"
CHANNEL_ID = "C0NEWS0001"
CHANNEL_NAME = "ai-news"

RESPONSE_URL_METHOD = "response_url"
UPLOAD_URL_METHOD = "upload_url"
AUTHORIZE_METHOD = "oauth.v2.authorize"
_NO_TOKEN_METHODS = frozenset({"oauth.v2.access", "oauth.access", "api.test"})

JSONDict = dict[str, Any]


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Call:
    """One request received by the fake.

    ``method`` is the Web API method (``"chat.postMessage"``), ``"response_url"`` for a
    POST to a response URL, or ``"oauth.v2.authorize"`` for the browser step of OAuth.
    ``params`` is the JSON body, or the form/multipart fields merged with the query
    string (form values are strings, exactly as sent). ``time`` is ``time.monotonic()``
    at receipt. ``status``/``response`` are what the fake answered.
    """

    method: str
    path: str
    headers: dict[str, str]
    params: JSONDict
    time: float
    http_method: str = "POST"
    token: str | None = None
    status: int = 200
    response: Any = None
    body: bytes = b""
    handled: bool = True

    @property
    def params_or_json(self) -> JSONDict:
        return self.params

    def header(self, name: str, default: str | None = None) -> str | None:
        """Case-insensitive header lookup."""
        lname = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lname:
                return value
        return default

    @property
    def ok(self) -> bool:
        return (
            self.status == 200
            and isinstance(self.response, dict)
            and self.response.get("ok") is True
        )

    @property
    def error(self) -> str | None:
        return self.response.get("error") if isinstance(self.response, dict) else None

    @property
    def blocks(self) -> list[Any] | None:
        """``blocks`` of the request, decoded if it was sent as a JSON string."""
        return _decode_json_field(self.params.get("blocks"))

    @property
    def response_url_name(self) -> str | None:
        prefix = "/response/"
        return self.path[len(prefix) :] if self.path.startswith(prefix) else None


#: What a bot token of the default workspace is granted (tests set ``Workspace.scopes``).
DEFAULT_SCOPES = ("app_mentions:read", "chat:write", "commands", "users:read", "files:write")


@dataclass
class Upload:
    """A file uploaded through ``files.getUploadURLExternal`` + the upload URL, and where
    ``files.completeUploadExternal`` shared it (``channel`` None: not completed yet)."""

    file_id: str
    filename: str
    length: int
    alt_txt: str | None = None
    data: bytes | None = None  # None until the bytes reach the upload URL
    title: str | None = None
    channel: str | None = None
    thread_ts: str | None = None
    initial_comment: str | None = None
    ts: str | None = None  # the message that shares it


@dataclass
class Workspace:
    """A workspace (team) the app is installed in, with its bot identity."""

    team_id: str
    team_name: str
    team_domain: str
    bot_user_id: str
    bot_id: str
    app_id: str = APP_ID
    bot_name: str = BOT_NAME
    enterprise_id: str | None = None
    enterprise_name: str | None = None
    #: The bot token's granted scopes, sent back as ``X-OAuth-Scopes`` on every
    #: token-authenticated call (as Slack does).
    scopes: tuple[str, ...] = DEFAULT_SCOPES


@dataclass
class _Reply:
    status: int
    body: Any  # dict -> JSON, str -> text
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _OAuthGrant:
    team_id: str
    user_id: str
    scope: str
    user_scope: str
    used: bool = False


class _ApiError(Exception):
    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


# --------------------------------------------------------------------------- the fake


class FakeSlackAPI:
    """A fake Slack Web API + response_url + OAuth authorize endpoint on 127.0.0.1:0."""

    def __init__(
        self,
        *,
        team_id: str = TEAM_ID,
        team_name: str = TEAM_NAME,
        team_domain: str = TEAM_DOMAIN,
        app_id: str = APP_ID,
        bot_user_id: str = BOT_USER_ID,
        bot_id: str = BOT_ID,
        bot_name: str = BOT_NAME,
        client_id: str | None = None,
        client_secret: str | None = None,
        redirect_uri: str | None = None,
        strict_tokens: bool = False,
        strict_channels: bool = False,
        chat_write_public: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.host = host
        self._requested_port = port
        self.app_id = app_id
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.strict_tokens = strict_tokens
        self.strict_channels = strict_channels
        self.chat_write_public = chat_write_public

        self._cond = threading.Condition(threading.RLock())
        self._calls: list[Call] = []
        self._scripts: dict[str, deque[_Reply]] = {}
        self._lost_answers: dict[str, deque[_Reply]] = {}
        self._overrides: dict[str, JSONDict | Callable[[JSONDict], JSONDict]] = {}
        self.workspaces: dict[str, Workspace] = {}
        self.default_team_id = team_id
        self.add_workspace(
            team_id,
            name=team_name,
            domain=team_domain,
            bot_user_id=bot_user_id,
            bot_id=bot_id,
            bot_name=bot_name,
        )
        self.tokens: dict[str, str] = {}  # token -> team_id
        self.revoked_tokens: set[str] = set()
        self.users: dict[str, JSONDict] = {}
        self.channels: dict[str, JSONDict] = {}
        self._deleted_channels: set[str] = set()
        self._messages: dict[tuple[str, str], JSONDict] = {}
        self._oauth_grants: dict[str, _OAuthGrant] = {}
        self.authorize_team_id = team_id  # workspace that the authorize endpoint installs into
        self._last_ts = 0.0
        self._seq = itertools.count(1)

        self._server: _FakeHTTPServer | None = None
        self._thread: threading.Thread | None = None
        #: Seconds each ``chat.postMessage`` takes before it is answered (and stored).
        self.post_delay = 0.0
        # Which channels each user is in (``users.conversations``); ``join_user`` adds one.
        self.user_channels: dict[str, set[str]] = {}
        self.published_views: dict[str, JSONDict] = {}  # user -> last ``views.publish`` view
        self._files: dict[str, Upload] = {}  # file_id -> upload, from getUploadURLExternal on
        self._upload_keys: dict[str, str] = {}  # upload URL key -> file_id
        #: Files shared by ``files.completeUploadExternal``, in order.
        self.uploads: list[Upload] = []

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> FakeSlackAPI:
        if self._server is not None:
            return self
        server = _FakeHTTPServer((self.host, self._requested_port), _FakeSlackHandler)
        server.fake = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeSlackAPI:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeSlackAPI is not running; use it as a context manager")
        return int(self._server.server_address[1])

    @property
    def root_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """For ``WebClient(base_url=...)``: ``http://127.0.0.1:PORT/api/``."""
        return f"{self.root_url}/api/"

    def url(self, path: str) -> str:
        return f"{self.root_url}/{path.lstrip('/')}"

    def response_url(self, name: str = "default") -> str:
        return self.url(f"response/{name}")

    @property
    def authorize_url(self) -> str:
        """Stand-in for ``https://slack.com/oauth/v2/authorize`` (bolt's
        ``OAuthSettings(authorization_url=...)``)."""
        return self.url("oauth/v2/authorize")

    # ---------------------------------------------------------------- recorded calls

    def calls(self, method: str | None = None) -> list[Call]:
        with self._cond:
            return [c for c in self._calls if method is None or c.method == method]

    def response_posts(self, name: str | None = None) -> list[Call]:
        return [
            c
            for c in self.calls(RESPONSE_URL_METHOD)
            if name is None or c.response_url_name == name
        ]

    def unknown_methods(self) -> list[str]:
        """Methods that hit the generic ``{"ok": true}`` fallback, in call order."""
        return [c.method for c in self.calls() if not c.handled]

    def wait_for(
        self,
        target: str | Callable[[Call], bool],
        timeout: float = 5.0,
        *,
        since: int = 0,
    ) -> Call:
        """Block until a matching call exists and return the first one.

        ``target`` is a method name (``"chat.postMessage"``, ``"response_url"``) or a
        predicate. Calls with an index below ``since`` are ignored: take
        ``since=len(fake.calls())`` before an action to wait for a *new* call.
        Raises ``TimeoutError`` listing what was received.
        """
        pred: Callable[[Call], bool]
        if isinstance(target, str):
            name = target
            pred = lambda c: c.method == name  # noqa: E731
        else:
            pred = target
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for c in self._calls[since:]:
                    if pred(c):
                        return c
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [c.method for c in self._calls[since:]]
                    raise TimeoutError(f"no call matching {target!r} within {timeout}s; got {seen}")
                self._cond.wait(remaining)

    def clear_calls(self) -> None:
        with self._cond:
            self._calls.clear()

    # ---------------------------------------------------------------- scripting

    def fail_next(
        self,
        method: str,
        error: str = "channel_not_found",
        *,
        times: int = 1,
        status: int = 200,
        **extra: Any,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with ``{"ok": false, "error": error}``
        (HTTP ``status``, 200 like Slack by default). ``method`` may be ``"response_url"``
        (any response URL) or ``"oauth.v2.authorize"`` (redirects with ``error=``)."""
        body = {"ok": False, "error": error, **extra}
        self._push(method, times, _Reply(status, body))

    def rate_limit_next(self, method: str, retry_after: int = 1, *, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with HTTP 429 + ``Retry-After``."""
        body = {"ok": False, "error": "ratelimited"}
        self._push(method, times, _Reply(429, body, {"Retry-After": str(int(retry_after))}))

    def lose_answer_next(self, method: str, status: int = 503, *, times: int = 1) -> None:
        """Carry out the next ``times`` calls of ``method`` (a post is made), then answer HTTP
        ``status``: Slack's answer lost on the way, the message in the channel all the same."""
        body = {"ok": False, "error": "service_unavailable"}
        self._push(method, times, _Reply(status, body), self._lost_answers)

    def respond_with(self, method: str, body: JSONDict | Callable[[JSONDict], JSONDict]) -> None:
        """Always answer ``method`` with ``body`` (or ``body(params)``), after auth checks."""
        with self._cond:
            self._overrides[method] = body

    def _push(
        self, method: str, times: int, reply: _Reply, into: dict[str, deque[_Reply]] | None = None
    ) -> None:
        """Queue ``reply`` ``times`` for ``method``: in ``into``, else the scripted answers."""
        with self._cond:
            queue = (self._scripts if into is None else into).setdefault(method, deque())
            for _ in range(times):
                queue.append(copy.deepcopy(reply))

    def _pop_script(self, method: str) -> _Reply | None:
        queue = self._scripts.get(method)
        return queue.popleft() if queue else None

    # ---------------------------------------------------------------- state set-up

    def add_workspace(
        self,
        team_id: str,
        *,
        name: str | None = None,
        domain: str | None = None,
        bot_user_id: str | None = None,
        bot_id: str | None = None,
        bot_name: str = BOT_NAME,
        enterprise_id: str | None = None,
        enterprise_name: str | None = None,
    ) -> Workspace:
        suffix = team_id[1:].upper()
        ws = Workspace(
            team_id=team_id,
            team_name=name or f"Workspace {team_id}",
            team_domain=domain or team_id.lower(),
            bot_user_id=bot_user_id or f"U{suffix}B"[:11],
            bot_id=bot_id or f"B{suffix}B"[:11],
            app_id=self.app_id,
            bot_name=bot_name,
            enterprise_id=enterprise_id,
            enterprise_name=enterprise_name,
        )
        with self._cond:
            self.workspaces[team_id] = ws
        return ws

    @property
    def default_workspace(self) -> Workspace:
        return self.workspaces[self.default_team_id]

    def register_token(self, token: str, team_id: str | None = None) -> None:
        with self._cond:
            self.tokens[token] = team_id or self.default_team_id
            self.revoked_tokens.discard(token)

    def revoke_token(self, token: str) -> None:
        with self._cond:
            self.revoked_tokens.add(token)

    def add_user(
        self,
        user_id: str,
        *,
        name: str | None = None,
        real_name: str | None = None,
        is_admin: bool = False,
        is_owner: bool = False,
        is_primary_owner: bool = False,
        is_bot: bool = False,
        deleted: bool = False,
        locale: str = "en-US",
        tz: str = "Europe/Madrid",
        tz_offset: int = 3600,
        team_id: str | None = None,
    ) -> JSONDict:
        name = name or user_id.lower()
        real_name = real_name or name.title()
        user: JSONDict = {
            "id": user_id,
            "team_id": team_id or self.default_team_id,
            "name": name,
            "deleted": deleted,
            "color": "9f69e7",
            "real_name": real_name,
            "tz": tz,
            "tz_label": "Central European Time",
            "tz_offset": tz_offset,
            "profile": {
                "title": "",
                "phone": "",
                "skype": "",
                "real_name": real_name,
                "real_name_normalized": real_name,
                "display_name": name,
                "display_name_normalized": name,
                "status_text": "",
                "status_emoji": "",
                "avatar_hash": "ge3b51ca72de",
                "image_24": "https://a.slack-edge.com/df10d/img/avatars/ava_0024-24.png",
                "image_72": "https://a.slack-edge.com/df10d/img/avatars/ava_0024-72.png",
                "team": team_id or self.default_team_id,
            },
            "is_admin": is_admin or is_owner or is_primary_owner,
            "is_owner": is_owner or is_primary_owner,
            "is_primary_owner": is_primary_owner,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": is_bot,
            "is_app_user": False,
            "updated": int(time.time()),
            "has_2fa": False,
            "_locale": locale,
        }
        with self._cond:
            self.users[user_id] = user
        return user

    def add_channel(
        self,
        channel_id: str,
        *,
        name: str | None = None,
        is_private: bool = False,
        is_member: bool = True,
        is_archived: bool = False,
        is_general: bool = False,
        user: str | None = None,
    ) -> JSONDict:
        """Register a conversation. IDs starting with ``D`` are DMs (``user`` = the other
        party); others are channels."""
        now = int(time.time())
        ch: JSONDict
        if channel_id.startswith("D"):
            ch = {
                "id": channel_id,
                "created": now,
                "is_archived": False,
                "is_im": True,
                "is_org_shared": False,
                "context_team_id": self.default_team_id,
                "updated": now * 1000,
                "user": user or USER_ID,
                "is_user_deleted": False,
                "priority": 0,
                "is_member": True,
            }
        else:
            cname = name or f"channel-{channel_id.lower()}"
            ch = {
                "id": channel_id,
                "name": cname,
                "is_channel": not is_private,
                "is_group": is_private,
                "is_im": False,
                "is_mpim": False,
                "is_private": is_private,
                "created": now,
                "is_archived": is_archived,
                "is_general": is_general,
                "unlinked": 0,
                "name_normalized": cname,
                "is_shared": False,
                "is_org_shared": False,
                "is_pending_ext_shared": False,
                "pending_shared": [],
                "context_team_id": self.default_team_id,
                "updated": now * 1000,
                "parent_conversation": None,
                "creator": USER_ID,
                "is_ext_shared": False,
                "shared_team_ids": [self.default_team_id],
                "pending_connected_team_ids": [],
                "is_member": is_member,
                "topic": {"value": "", "creator": "", "last_set": 0},
                "purpose": {"value": "", "creator": "", "last_set": 0},
                "previous_names": [],
            }
        with self._cond:
            self._deleted_channels.discard(channel_id)
            self.channels[channel_id] = ch
        return ch

    def archive_channel(self, channel_id: str) -> None:
        with self._cond:
            ch = self._channel(channel_id) or self.add_channel(channel_id)
            ch["is_archived"] = True
            ch["is_member"] = False

    def delete_channel(self, channel_id: str) -> None:
        with self._cond:
            self.channels.pop(channel_id, None)
            self._deleted_channels.add(channel_id)

    def issue_oauth_code(
        self,
        *,
        team_id: str | None = None,
        user_id: str = USER_ID,
        scope: str = "app_mentions:read,channels:join,chat:write,commands,users:read",
        user_scope: str = "",
    ) -> str:
        """A one-time code that ``oauth.v2.access`` exchanges for a bot token of
        ``team_id`` (created as a workspace if unknown)."""
        team_id = team_id or self.default_team_id
        with self._cond:
            if team_id not in self.workspaces:
                self.add_workspace(team_id)
            code = f"{next(self._seq)}.{secrets.token_hex(12)}"
            self._oauth_grants[code] = _OAuthGrant(team_id, user_id, scope, user_scope)
        return code

    def messages(self, channel: str | None = None) -> list[JSONDict]:
        """Copies of the stored (posted, possibly updated) messages, oldest first."""
        with self._cond:
            items = [
                copy.deepcopy(m)
                for (ch, _), m in sorted(self._messages.items(), key=lambda kv: kv[0][1])
                if channel is None or ch == channel
            ]
        return items

    # ---------------------------------------------------------------- dispatch

    def _handle(
        self, http_method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> _Reply:
        path, _, query = raw_path.partition("?")
        if self.post_delay and path == "/api/chat.postMessage":
            # Slack's latency, concurrently (outside the lock); the message exists only when
            # the answer goes out, so a request whose sender died meanwhile still posts.
            time.sleep(self.post_delay)
        ctype = _header(headers, "content-type") or ""
        params: JSONDict = dict(parse_qsl(query, keep_blank_values=True))
        parsed: JSONDict | None
        try:
            parsed = _parse_body(ctype, body)
        except ValueError:
            parsed = None
        with self._cond:
            token: str | None = None
            handled = True
            if path.startswith("/api/"):
                method = path[len("/api/") :]
                if parsed is None:
                    reply = _Reply(200, {"ok": False, "error": "invalid_json"})
                else:
                    params.update(parsed)
                    token = _bearer(headers) or _str_or_none(params.get("token"))
                    reply, handled = self._api(method, params, token, headers)
            elif path.startswith("/upload/v1/") and http_method == "POST":
                method = UPLOAD_URL_METHOD
                reply = self._pop_script(method) or self._receive_upload(path, ctype, body)
            elif path.startswith("/response/") and http_method == "POST":
                method = RESPONSE_URL_METHOD
                params.update(parsed or {})
                reply = self._pop_script(method) or _Reply(200, "ok", {"Content-Type": "text/html"})
            elif path == "/oauth/v2/authorize" and http_method == "GET":
                method = AUTHORIZE_METHOD
                reply = self._authorize(params)
            else:
                method = f"{http_method} {path}"
                handled = False
                reply = _Reply(404, {"ok": False, "error": "unknown_path"})
            self._calls.append(
                Call(
                    method=method,
                    path=path,
                    headers=dict(headers),
                    params=params,
                    time=time.monotonic(),
                    http_method=http_method,
                    token=token,
                    status=reply.status,
                    response=copy.deepcopy(reply.body),
                    body=body,
                    handled=handled,
                )
            )
            self._cond.notify_all()
        return reply

    def _api(
        self, method: str, params: JSONDict, token: str | None, headers: dict[str, str]
    ) -> tuple[_Reply, bool]:
        scripted = self._pop_script(method)
        if scripted is not None:
            return scripted, True
        impl = getattr(self, "_m_" + method.replace(".", "_"), None)
        try:
            if method == "oauth.v2.access":
                return _Reply(200, self._m_oauth_v2_access(params, headers)), True
            ws = None if method in _NO_TOKEN_METHODS else self._authenticate(token)
            override = self._overrides.get(method)
            if override is not None:
                body = override(params) if callable(override) else copy.deepcopy(override)
                return _Reply(200, body), True
            granted = {"X-OAuth-Scopes": ",".join(ws.scopes)} if ws is not None else {}
            if impl is None:
                return _Reply(200, {"ok": True}, granted), False
            done = _Reply(200, impl(params, ws), granted)
            lost = self._lost_answers.get(method)
            return (lost.popleft() if lost else done), True
        except _ApiError as exc:
            return _Reply(200, {"ok": False, "error": exc.error, **exc.extra}), True

    def _authenticate(self, token: str | None) -> Workspace:
        if not token:
            raise _ApiError("not_authed")
        if token in self.revoked_tokens:
            raise _ApiError("token_revoked")
        team_id = self.tokens.get(token)
        if team_id is not None:
            return self.workspaces[team_id]
        if self.strict_tokens or not token.startswith("xox"):
            raise _ApiError("invalid_auth")
        return self.default_workspace

    # ---------------------------------------------------------------- helpers for methods

    def _next_ts(self) -> str:
        now = max(time.time(), self._last_ts + 0.000001)
        self._last_ts = now
        return f"{now:.6f}"

    def _channel(self, channel_id: str) -> JSONDict | None:
        if channel_id in self._deleted_channels:
            return None
        ch = self.channels.get(channel_id)
        if ch is None and not self.strict_channels and channel_id[:1] in ("C", "G", "D"):
            ch = self.add_channel(channel_id, is_private=channel_id.startswith("G"))
        return ch

    def _resolve(self, ref: Any) -> JSONDict:
        ref = _str_or_none(ref)
        if not ref:
            raise _ApiError("channel_not_found")
        if ref.startswith("#"):
            for ch in self.channels.values():
                if ch.get("name") == ref[1:]:
                    return ch
            raise _ApiError("channel_not_found")
        if ref[:1] in ("U", "W"):  # posting to a user ID opens/uses the DM with them
            dm_id = "D" + ref[1:]
            return self.channels.get(dm_id) or self.add_channel(dm_id, user=ref)
        found = self._channel(ref)
        if found is None:
            raise _ApiError("channel_not_found")
        return found

    def _check_can_post(self, ch: JSONDict) -> None:
        if ch.get("is_archived"):
            raise _ApiError("is_archived")
        if not ch.get("is_member"):
            if ch.get("is_private"):
                raise _ApiError("channel_not_found")
            if not self.chat_write_public:
                raise _ApiError("not_in_channel")

    def _content(self, params: JSONDict, *, required: bool = True) -> JSONDict:
        content: JSONDict = {}
        text = _str_or_none(params.get("text"))
        blocks = _decode_json_field(params.get("blocks"), error="invalid_blocks_format")
        attachments = _decode_json_field(params.get("attachments"), error="invalid_attachments")
        if blocks is not None:
            errors = validate_blocks(blocks)
            if errors:
                raise _ApiError(
                    "invalid_blocks",
                    errors=errors,
                    response_metadata={"messages": [f"[ERROR] {e}" for e in errors]},
                )
            content["blocks"] = blocks
        if attachments is not None:
            content["attachments"] = attachments
        if required and not text and not blocks and not attachments:
            raise _ApiError("no_text")
        if text is not None and len(text) > 40000:
            raise _ApiError("msg_too_long")
        content["text"] = text or ""
        return content

    # ---------------------------------------------------------------- Web API methods

    def _m_api_test(self, params: JSONDict, ws: Workspace | None) -> JSONDict:
        return {"ok": True, "args": {k: v for k, v in params.items() if k != "token"}}

    def _m_auth_test(self, params: JSONDict, ws: Workspace) -> JSONDict:
        body: JSONDict = {
            "ok": True,
            "url": f"https://{ws.team_domain}.slack.com/",
            "team": ws.team_name,
            "user": ws.bot_name,
            "team_id": ws.team_id,
            "user_id": ws.bot_user_id,
            "bot_id": ws.bot_id,
            "is_enterprise_install": False,
        }
        if ws.enterprise_id:
            body["enterprise_id"] = ws.enterprise_id
        return body

    def _m_chat_postMessage(self, params: JSONDict, ws: Workspace) -> JSONDict:  # noqa: N802
        ch = self._resolve(params.get("channel"))
        self._check_can_post(ch)
        content = self._content(params)
        ts = self._next_ts()
        message: JSONDict = {
            "user": ws.bot_user_id,
            "type": "message",
            "ts": ts,
            "bot_id": ws.bot_id,
            "app_id": ws.app_id,
            "text": content["text"],
            "team": ws.team_id,
            "bot_profile": {
                "id": ws.bot_id,
                "app_id": ws.app_id,
                "name": ws.bot_name,
                "deleted": False,
                "team_id": ws.team_id,
            },
        }
        for key in ("blocks", "attachments"):
            if key in content:
                message[key] = content[key]
        thread_ts = _str_or_none(params.get("thread_ts"))
        if thread_ts:
            message["thread_ts"] = thread_ts
            message["parent_user_id"] = USER_ID
        metadata = _decode_json_field(params.get("metadata"))
        if metadata:
            message["metadata"] = metadata
        self._messages[(ch["id"], ts)] = {"channel": ch["id"], **message}
        return {"ok": True, "channel": ch["id"], "ts": ts, "message": message}

    def _m_conversations_history(self, params: JSONDict, ws: Workspace) -> JSONDict:
        """Newest first; ``oldest``/``latest`` exclusive; ``metadata`` only with
        ``include_all_metadata``; ``cursor`` pagination (``has_more``, ``next_cursor``).
        Thread replies are not in a channel's history."""
        ch = self._resolve(params.get("channel"))
        body = self._read(
            params, ch["id"], lambda m: m.get("thread_ts") in (None, m["ts"]), newest_first=True
        )
        return {**body, "pin_count": 0}

    def _m_conversations_replies(self, params: JSONDict, ws: Workspace) -> JSONDict:
        """A thread (``ts`` its parent): the parent, then its replies, oldest first; the same
        parameters as the history. An unknown parent is ``thread_not_found``."""
        ch = self._resolve(params.get("channel"))
        parent = _str_or_none(params.get("ts")) or ""
        if (ch["id"], parent) not in self._messages:
            raise _ApiError("thread_not_found")
        return self._read(params, ch["id"], lambda m: parent in (m["ts"], m.get("thread_ts")))

    def _read(
        self,
        params: JSONDict,
        channel: str,
        wanted: Callable[[JSONDict], bool],
        *,
        newest_first: bool = False,
    ) -> JSONDict:
        """One page of a channel's ``wanted`` messages (conversations.history/.replies)."""
        oldest = float(_str_or_none(params.get("oldest")) or 0)
        latest = float(_str_or_none(params.get("latest")) or "inf")
        limit = max(1, min(999, int(_str_or_none(params.get("limit")) or 100)))
        include = str(params.get("include_all_metadata", "")).lower() in {"1", "true"}
        cursor = _str_or_none(params.get("cursor"))
        start = int(base64.b64decode(cursor).decode().split(":")[1]) if cursor else 0
        found = sorted(
            (
                m
                for (cid, ts), m in self._messages.items()
                if cid == channel and oldest < float(ts) < latest and wanted(m)
            ),
            key=lambda m: float(m["ts"]),
            reverse=newest_first,
        )
        page = []
        for m in found[start : start + limit]:
            item = {k: copy.deepcopy(v) for k, v in m.items() if k != "channel"}
            if not include:
                item.pop("metadata", None)
            page.append(item)
        more = start + limit < len(found)
        next_cursor = base64.b64encode(f"next_ts:{start + limit}".encode()).decode() if more else ""
        return {
            "ok": True,
            "messages": page,
            "has_more": more,
            "response_metadata": {"next_cursor": next_cursor},
        }

    def _m_chat_postEphemeral(self, params: JSONDict, ws: Workspace) -> JSONDict:  # noqa: N802
        ch = self._resolve(params.get("channel"))
        if not _str_or_none(params.get("user")):
            raise _ApiError("user_not_found")
        self._check_can_post(ch)
        self._content(params)
        return {"ok": True, "message_ts": self._next_ts()}

    def _m_chat_update(self, params: JSONDict, ws: Workspace) -> JSONDict:
        ch = self._resolve(params.get("channel"))
        ts = _str_or_none(params.get("ts"))
        msg = self._messages.get((ch["id"], ts or ""))
        if msg is None:
            raise _ApiError("message_not_found")
        if msg.get("user") != ws.bot_user_id:
            raise _ApiError("cant_update_message")
        if ch.get("is_archived"):
            raise _ApiError("is_archived")
        content = self._content(params)
        msg.update(content)
        msg["edited"] = {"user": ws.bot_user_id, "ts": self._next_ts()}
        message = {k: v for k, v in msg.items() if k != "channel"}
        return {
            "ok": True,
            "channel": ch["id"],
            "ts": ts,
            "text": content["text"],
            "message": message,
        }

    def _m_chat_delete(self, params: JSONDict, ws: Workspace) -> JSONDict:
        ch = self._resolve(params.get("channel"))
        ts = _str_or_none(params.get("ts")) or ""
        msg = self._messages.get((ch["id"], ts))
        if msg is None:
            raise _ApiError("message_not_found")
        if msg.get("user") != ws.bot_user_id:
            raise _ApiError("cant_delete_message")
        del self._messages[(ch["id"], ts)]
        return {"ok": True, "channel": ch["id"], "ts": ts}

    def _m_conversations_info(self, params: JSONDict, ws: Workspace) -> JSONDict:
        ch = self._resolve(params.get("channel"))
        if ch.get("is_private") and not ch.get("is_member"):
            raise _ApiError("channel_not_found")
        out = copy.deepcopy(ch)
        if _truthy(params.get("include_locale")):
            out["locale"] = "en-US"
        return {"ok": True, "channel": out}

    def _m_conversations_join(self, params: JSONDict, ws: Workspace) -> JSONDict:
        ch = self._resolve(params.get("channel"))
        if ch.get("is_im") or ch.get("is_private"):
            raise _ApiError("method_not_supported_for_channel_type")
        if ch.get("is_archived"):
            raise _ApiError("is_archived")
        body: JSONDict = {"ok": True}
        if ch.get("is_member"):
            body["warning"] = "already_in_channel"
            body["response_metadata"] = {"warnings": ["already_in_channel"]}
        ch["is_member"] = True
        body["channel"] = copy.deepcopy(ch)
        return body

    def _m_conversations_open(self, params: JSONDict, ws: Workspace) -> JSONDict:
        if params.get("channel"):
            ch = self._resolve(params.get("channel"))
        else:
            users = [u for u in str(params.get("users") or "").split(",") if u]
            if len(users) != 1:
                raise _ApiError("users_list_not_supplied" if not users else "not_enough_users")
            ch = self._resolve(users[0])
        if _truthy(params.get("return_im")):
            return {"ok": True, "channel": copy.deepcopy(ch)}
        return {"ok": True, "channel": {"id": ch["id"]}}

    def join_user(self, user: str, channel_id: str) -> None:
        """Make ``user`` a member of ``channel_id`` (what ``users.conversations`` lists)."""
        with self._cond:
            self.user_channels.setdefault(user, set()).add(channel_id)

    def _m_users_conversations(self, params: JSONDict, ws: Workspace) -> JSONDict:
        """The channels a user is in, of the requested ``types``; no pagination (one page)."""
        user = _str_or_none(params.get("user")) or ""
        types = set((_str_or_none(params.get("types")) or "public_channel").split(","))
        skip_archived = _truthy(params.get("exclude_archived"))
        found = []
        for cid in sorted(self.user_channels.get(user, set())):
            ch = self._channel(cid)  # unknown IDs: auto-created, as for every method
            if ch is None or ch.get("is_im"):
                continue
            kind = "private_channel" if ch.get("is_private") else "public_channel"
            if kind in types and not (skip_archived and ch.get("is_archived")):
                found.append(copy.deepcopy(ch))
        return {"ok": True, "channels": found, "response_metadata": {"next_cursor": ""}}

    def _m_views_publish(self, params: JSONDict, ws: Workspace) -> JSONDict:
        """Publish a user's Home tab: ``user_id`` and a ``home`` view of at most 100 blocks."""
        user = _str_or_none(params.get("user_id"))
        if not user or user[:1] not in ("U", "W"):
            raise _ApiError("invalid_arguments")
        view = _decode_json_field(params.get("view"), error="invalid_arguments")
        if not isinstance(view, dict) or view.get("type") != "home":
            raise _ApiError("invalid_arguments")
        errors = validate_blocks(view.get("blocks"), max_blocks=100)
        if errors:
            raise _ApiError("invalid_arguments", response_metadata={"messages": errors})
        self.published_views[user] = view
        return {"ok": True, "view": {"id": "V" + secrets.token_hex(5).upper(), **view}}

    def _m_users_info(self, params: JSONDict, ws: Workspace) -> JSONDict:
        user_id = _str_or_none(params.get("user"))
        if not user_id or user_id[:1] not in ("U", "W"):
            raise _ApiError("user_not_found")
        user = self.users.get(user_id) or self.add_user(user_id, team_id=ws.team_id)
        out = {k: copy.deepcopy(v) for k, v in user.items() if not k.startswith("_")}
        if _truthy(params.get("include_locale")):
            out["locale"] = user.get("_locale", "en-US")
        return {"ok": True, "user": out}

    def _require_scope(self, ws: Workspace, scope: str) -> None:
        if scope not in ws.scopes:
            raise _ApiError("missing_scope", needed=scope, provided=",".join(ws.scopes))

    def _m_files_getUploadURLExternal(self, params: JSONDict, ws: Workspace) -> JSONDict:  # noqa: N802
        self._require_scope(ws, "files:write")
        filename = _str_or_none(params.get("filename"))
        length = _str_or_none(params.get("length")) or ""
        alt_txt = _str_or_none(params.get("alt_txt"))
        if not filename or not length:
            raise _ApiError("invalid_arguments")
        if not length.isdigit() or int(length) == 0:
            raise _ApiError("missing_argument" if length == "0" else "invalid_arguments")
        if alt_txt is not None and len(alt_txt) > 1000:
            raise _ApiError("alt_txt_too_large")
        file_id = "F" + secrets.token_hex(5).upper()
        key = secrets.token_urlsafe(12)
        self._files[file_id] = Upload(file_id, filename, int(length), alt_txt)
        self._upload_keys[key] = file_id
        return {"ok": True, "upload_url": self.url(f"upload/v1/{key}"), "file_id": file_id}

    def _receive_upload(self, path: str, ctype: str, body: bytes) -> _Reply:
        """The upload URL: the bytes as the raw body, or the first file part of a form."""
        file_id = self._upload_keys.get(path.rsplit("/", 1)[-1])
        if file_id is None:
            return _Reply(404, "Not Found")
        data = body
        if ctype.split(";", 1)[0].strip().lower() == "multipart/form-data":
            parts = [v for v in _parse_body(ctype, body).values() if isinstance(v, bytes)]
            if not parts:
                return _Reply(400, "no file in the form")
            data = parts[0]
        self._files[file_id].data = data
        return _Reply(200, f"OK - {len(data)}")

    def _m_files_completeUploadExternal(self, params: JSONDict, ws: Workspace) -> JSONDict:  # noqa: N802
        self._require_scope(ws, "files:write")
        entries = _decode_json_field(params.get("files"), error="invalid_arguments")
        if not isinstance(entries, list) or not entries:
            raise _ApiError("invalid_arguments")
        uploads = []
        for entry in entries:
            upload = self._files.get(str(entry.get("id")) if isinstance(entry, dict) else "")
            if upload is None or upload.data is None or upload.channel is not None:
                raise _ApiError("file_not_found")
            if len(upload.data) != upload.length:
                raise _ApiError("upload_length_mismatch")
            uploads.append((upload, _str_or_none(entry.get("title")) or upload.filename))
        target = _str_or_none(params.get("channel_id")) or _str_or_none(params.get("channels"))
        thread_ts = _str_or_none(params.get("thread_ts"))
        comment = _str_or_none(params.get("initial_comment"))
        channel = None
        if target:
            if "," in target and thread_ts:
                raise _ApiError("invalid_arguments")  # a thread is in one channel
            channel = self._resolve(target.split(",")[0])
            if channel.get("is_archived"):
                raise _ApiError("is_archived")
            if not channel.get("is_member"):  # chat:write.public does not cover files
                raise _ApiError(
                    "channel_not_found" if channel.get("is_private") else "not_in_channel"
                )
        shown = [self._file_object(u, title, ws) for u, title in uploads]
        ts = None
        if channel is not None:
            ts = self._next_ts()
            message: JSONDict = {
                "channel": channel["id"],
                "type": "message",
                "ts": ts,
                "user": ws.bot_user_id,
                "bot_id": ws.bot_id,
                "text": comment or "",
                "upload": True,
                "files": shown,
            }
            if thread_ts:
                message["thread_ts"] = thread_ts
            self._messages[(channel["id"], ts)] = message
        for upload, title in uploads:
            upload.title, upload.thread_ts, upload.initial_comment = title, thread_ts, comment
            upload.channel, upload.ts = (channel["id"] if channel else ""), ts
            self.uploads.append(upload)
        return {"ok": True, "files": shown}

    def _file_object(self, upload: Upload, title: str, ws: Workspace) -> JSONDict:
        """A file as Slack describes it (the fields clients read)."""
        ext = upload.filename.rsplit(".", 1)[-1].lower() if "." in upload.filename else "binary"
        mime = mimetypes.guess_type(upload.filename)[0] or "application/octet-stream"
        url = f"https://files.slack.com/files-pri/{ws.team_id}-{upload.file_id}/{upload.filename}"
        return {
            "id": upload.file_id,
            "created": int(time.time()),
            "name": upload.filename,
            "title": title,
            "mimetype": mime,
            "filetype": ext,
            "size": len(upload.data or b""),
            "user": ws.bot_user_id,
            "alt_txt": upload.alt_txt,
            "url_private": url,
            "permalink": f"https://{ws.team_domain}.slack.com/files/{ws.bot_user_id}/{upload.file_id}",
        }

    def _m_oauth_v2_access(self, params: JSONDict, headers: dict[str, str]) -> JSONDict:
        client_id, client_secret = _basic(headers)
        client_id = client_id or _str_or_none(params.get("client_id"))
        client_secret = client_secret or _str_or_none(params.get("client_secret"))
        if not client_id or (self.client_id is not None and client_id != self.client_id):
            raise _ApiError("invalid_client_id")
        if self.client_secret is not None and client_secret != self.client_secret:
            raise _ApiError("bad_client_secret")
        code = _str_or_none(params.get("code")) or ""
        grant = self._oauth_grants.get(code)
        if grant is None or grant.used:
            raise _ApiError("invalid_code")
        grant.used = True
        ws = self.workspaces[grant.team_id]
        token = f"xoxb-{next(self._seq)}-{ws.team_id}-{secrets.token_hex(8)}"
        self.register_token(token, ws.team_id)
        authed_user: JSONDict = {"id": grant.user_id}
        if grant.user_scope:
            user_token = f"xoxp-{next(self._seq)}-{grant.user_id}-{secrets.token_hex(8)}"
            self.register_token(user_token, ws.team_id)
            authed_user.update(scope=grant.user_scope, access_token=user_token, token_type="user")
        enterprise = (
            {"id": ws.enterprise_id, "name": ws.enterprise_name} if ws.enterprise_id else None
        )
        return {
            "ok": True,
            "app_id": ws.app_id,
            "authed_user": authed_user,
            "scope": grant.scope,
            "token_type": "bot",
            "access_token": token,
            "bot_user_id": ws.bot_user_id,
            "team": {"id": ws.team_id, "name": ws.team_name},
            "enterprise": enterprise,
            "is_enterprise_install": False,
        }

    def _authorize(self, params: JSONDict) -> _Reply:
        redirect_uri = _str_or_none(params.get("redirect_uri")) or self.redirect_uri
        if self.client_id is not None and params.get("client_id") != self.client_id:
            return _Reply(400, "invalid_client_id", {"Content-Type": "text/plain"})
        if not redirect_uri:
            return _Reply(400, "bad_redirect_uri", {"Content-Type": "text/plain"})
        query: dict[str, str] = {}
        scripted = self._pop_script(AUTHORIZE_METHOD)
        if scripted is not None:
            query["error"] = str(scripted.body.get("error") or "access_denied")
        else:
            query["code"] = self.issue_oauth_code(
                team_id=self.authorize_team_id,
                scope=str(params.get("scope") or ""),
                user_scope=str(params.get("user_scope") or ""),
            )
        if params.get("state") is not None:
            query["state"] = str(params["state"])
        sep = "&" if "?" in redirect_uri else "?"
        location = f"{redirect_uri}{sep}{urlencode(query)}"
        return _Reply(302, "", {"Location": location, "Content-Type": "text/plain"})


class _FakeHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    # Slack accepts every connection at once. socketserver's default backlog (5) makes the
    # kernel drop surplus handshakes and retry them seconds later, so a killed sender's
    # request could land after the replica that took over had checked the channel.
    request_queue_size = 1024
    fake: FakeSlackAPI


class _FakeSlackHandler(BaseHTTPRequestHandler):
    server: _FakeHTTPServer
    server_version = "FakeSlack/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:  # noqa: N802
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def _serve(self, http_method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k: v for k, v in self.headers.items()}
        reply = self.server.fake._handle(http_method, self.path, headers, body)
        if isinstance(reply.body, (dict, list)):
            payload = json.dumps(reply.body).encode()
            ctype = "application/json; charset=utf-8"
        else:
            payload = str(reply.body).encode()
            ctype = "text/plain; charset=utf-8"
        self.send_response(reply.status)
        out_headers = {"Content-Type": ctype, **reply.headers}
        for key, value in out_headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


# --------------------------------------------------------------------------- parsing


def _header(headers: Mapping[str, str], name: str) -> str | None:
    lname = name.lower()
    for key, value in headers.items():
        if key.lower() == lname:
            return value
    return None


def _bearer(headers: Mapping[str, str]) -> str | None:
    auth = _header(headers, "authorization") or ""
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    return None


def _basic(headers: Mapping[str, str]) -> tuple[str | None, str | None]:
    auth = _header(headers, "authorization") or ""
    if not auth.lower().startswith("basic "):
        return None, None
    try:
        decoded = base64.b64decode(auth[6:].strip()).decode()
    except ValueError:
        return None, None
    user, _, password = decoded.partition(":")
    return user or None, password or None


def _parse_body(ctype: str, body: bytes) -> JSONDict:
    """Form, JSON or multipart body -> dict. Raises ValueError on bad JSON."""
    if not body:
        return {}
    main = ctype.split(";", 1)[0].strip().lower()
    if main == "application/json":
        value = json.loads(body.decode("utf-8"))
        return value if isinstance(value, dict) else {"_json": value}
    if main == "multipart/form-data":
        head = f"Content-Type: {ctype}\r\nMIME-Version: 1.0\r\n\r\n".encode()
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
        fields: JSONDict = {}
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            raw = part.get_payload(decode=True)
            data = raw if isinstance(raw, bytes) else b""
            fields[str(name)] = data if part.get_filename() else data.decode("utf-8")
        return fields
    return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))


def _str_or_none(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes")
    return bool(value)


def _decode_json_field(value: Any, *, error: str | None = None) -> Any:
    """Form-encoded requests carry blocks/attachments as JSON strings."""
    if isinstance(value, str):
        if value == "":
            return None
        try:
            return json.loads(value)
        except ValueError:
            if error:
                raise _ApiError(error) from None
            return None
    return value


# --------------------------------------------------------------------------- blocks

_BLOCK_TYPES = frozenset(
    {
        "actions",
        "context",
        "divider",
        "file",
        "header",
        "image",
        "input",
        "markdown",
        "rich_text",
        "section",
        "table",
        "video",
    }
)


def _check_text(
    obj: Any, ptr: str, errs: list[str], *, max_len: int, plain_only: bool = False
) -> None:
    if not isinstance(obj, dict):
        errs.append(f"must be an object [json-pointer:{ptr}]")
        return
    kinds = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
    if obj.get("type") not in kinds:
        errs.append(f"must be a valid enum value [json-pointer:{ptr}/type]")
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        errs.append(f"must be more than 0 characters [json-pointer:{ptr}/text]")
    elif len(text) > max_len:
        errs.append(f"must be less than {max_len + 1} characters [json-pointer:{ptr}/text]")


def _check_max(value: Any, ptr: str, errs: list[str], max_len: int) -> None:
    if isinstance(value, str) and len(value) > max_len:
        errs.append(f"must be less than {max_len + 1} characters [json-pointer:{ptr}]")


def _check_element(el: Any, ptr: str, errs: list[str], action_ids: set[str]) -> None:
    if not isinstance(el, dict) or not isinstance(el.get("type"), str):
        errs.append(f"missing required field: type [json-pointer:{ptr}]")
        return
    action_id = el.get("action_id")
    if isinstance(action_id, str):
        _check_max(action_id, f"{ptr}/action_id", errs, 255)
        if action_id in action_ids:
            errs.append(f"duplicate action_id: {action_id} [json-pointer:{ptr}/action_id]")
        action_ids.add(action_id)
    if el["type"] == "button":
        _check_text(el.get("text"), f"{ptr}/text", errs, max_len=75, plain_only=True)
        _check_max(el.get("value"), f"{ptr}/value", errs, 2000)
        _check_max(el.get("url"), f"{ptr}/url", errs, 3000)
        if el.get("style") not in (None, "primary", "danger"):
            errs.append(f"must be a valid enum value [json-pointer:{ptr}/style]")
    elif el["type"] == "image":
        if not el.get("image_url") and not el.get("slack_file"):
            errs.append(f"missing required field: image_url [json-pointer:{ptr}]")
        _check_max(el.get("image_url"), f"{ptr}/image_url", errs, 3000)
        if not el.get("alt_text"):
            errs.append(f"missing required field: alt_text [json-pointer:{ptr}]")


def validate_blocks(blocks: Any, *, max_blocks: int = 50) -> list[str]:
    """Slack-style error strings for the main Block Kit limits (empty list = valid)."""
    if not isinstance(blocks, list):
        return ["must be an array [json-pointer:/blocks]"]
    errs: list[str] = []
    if len(blocks) > max_blocks:
        errs.append(f"no more than {max_blocks} items allowed [json-pointer:/blocks]")
    block_ids: set[str] = set()
    for i, block in enumerate(blocks):
        ptr = f"/blocks/{i}"
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            errs.append(f"missing required field: type [json-pointer:{ptr}]")
            continue
        btype = block["type"]
        if btype not in _BLOCK_TYPES:
            errs.append(f"unsupported type: {btype} [json-pointer:{ptr}/type]")
            continue
        block_id = block.get("block_id")
        if isinstance(block_id, str):
            _check_max(block_id, f"{ptr}/block_id", errs, 255)
            if block_id in block_ids:
                errs.append(f"duplicate block_id: {block_id} [json-pointer:{ptr}/block_id]")
            block_ids.add(block_id)
        if btype == "section":
            text, fields = block.get("text"), block.get("fields")
            if text is None and not fields:
                errs.append(f"must provide either text or fields [json-pointer:{ptr}]")
            if text is not None:
                _check_text(text, f"{ptr}/text", errs, max_len=3000)
            if fields is not None:
                if not isinstance(fields, list) or len(fields) > 10:
                    errs.append(f"no more than 10 items allowed [json-pointer:{ptr}/fields]")
                else:
                    for j, f in enumerate(fields):
                        _check_text(f, f"{ptr}/fields/{j}", errs, max_len=2000)
            if block.get("accessory") is not None:
                _check_element(block["accessory"], f"{ptr}/accessory", errs, set())
        elif btype == "header":
            _check_text(block.get("text"), f"{ptr}/text", errs, max_len=150, plain_only=True)
        elif btype in ("context", "actions"):
            limit = 10 if btype == "context" else 25
            elements = block.get("elements")
            if not isinstance(elements, list) or not elements:
                errs.append(f"must provide at least 1 item [json-pointer:{ptr}/elements]")
                continue
            if len(elements) > limit:
                errs.append(f"no more than {limit} items allowed [json-pointer:{ptr}/elements]")
            action_ids: set[str] = set()
            for j, el in enumerate(elements):
                eptr = f"{ptr}/elements/{j}"
                if btype == "context" and isinstance(el, dict) and el.get("type") != "image":
                    _check_text(el, eptr, errs, max_len=3000)
                else:
                    _check_element(el, eptr, errs, action_ids)
        elif btype == "image":
            _check_element(block, ptr, errs, set())
    return errs


# --------------------------------------------------------------------------- signing


def sign_request(
    signing_secret: str,
    body: str | bytes,
    timestamp: int | None = None,
    *,
    content_type: str | None = None,
) -> dict[str, str]:
    """Headers Slack sends with a request: ``X-Slack-Request-Timestamp``,
    ``X-Slack-Signature`` (``v0=`` + HMAC-SHA256 of ``v0:{ts}:{body}``) and
    ``Content-Type`` (JSON if the body looks like JSON, else form-encoded)."""
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    ts = int(time.time()) if timestamp is None else int(timestamp)
    base = f"v0:{ts}:{text}".encode()
    digest = hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()
    if content_type is None:
        content_type = (
            "application/json"
            if text.lstrip().startswith("{")
            else "application/x-www-form-urlencoded"
        )
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": f"v0={digest}",
    }


# --------------------------------------------------------------------------- builders


@cache
def _sample_text(name: str) -> str:
    return (DATA_DIR / name).read_text(encoding="utf-8")


def load_sample(name: str) -> JSONDict:
    """A fresh copy of ``tests/data/slack/<name>`` without its ``_``-prefixed keys."""
    data = json.loads(_sample_text(name if name.endswith(".json") else f"{name}.json"))
    return {k: v for k, v in data.items() if not k.startswith("_")}


def _trigger_id() -> str:
    return f"{secrets.randbelow(10**13)}.{secrets.randbelow(10**13)}.{secrets.token_hex(16)}"


def _now_ts() -> str:
    return f"{time.time():.6f}"


def slash_command_body(
    text: str = "",
    *,
    command: str = "/ainews",
    user_id: str | None = None,
    user_name: str | None = None,
    channel_id: str | None = None,
    channel_name: str | None = None,
    team_id: str | None = None,
    team_domain: str | None = None,
    response_url: str | None = None,
    trigger_id: str | None = None,
    api_app_id: str | None = None,
    enterprise_id: str | None = None,
    enterprise_name: str | None = None,
) -> str:
    """The form-encoded body Slack POSTs for a slash command (starts from
    ``slash_command.json``; ``None`` keeps the sample's value, ``trigger_id`` is fresh)."""
    sample = load_sample("slash_command.json")
    overrides = {
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "response_url": response_url,
        "trigger_id": trigger_id or _trigger_id(),
    }
    fields: dict[str, str] = {}
    for key, value in sample.items():
        fields[key] = str(overrides[key] if overrides.get(key) is not None else value)
        if key == "team_domain" and enterprise_id:
            fields["enterprise_id"] = enterprise_id
            fields["enterprise_name"] = enterprise_name or "Enterprise"
    return urlencode(fields)


_MENTION_RE = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


def _rich_text_blocks(text: str) -> list[JSONDict]:
    elements: list[JSONDict] = []
    pos = 0
    for match in _MENTION_RE.finditer(text):
        if match.start() > pos:
            elements.append({"type": "text", "text": text[pos : match.start()]})
        elements.append({"type": "user", "user_id": match.group(1)})
        pos = match.end()
    if pos < len(text):
        elements.append({"type": "text", "text": text[pos:]})
    block_id = base64.b32encode(secrets.token_bytes(3)).decode()[:5]
    return [
        {
            "type": "rich_text",
            "block_id": block_id,
            "elements": [{"type": "rich_text_section", "elements": elements}],
        }
    ]


def event_callback(
    event: JSONDict,
    *,
    team_id: str = TEAM_ID,
    api_app_id: str = APP_ID,
    bot_user_id: str = BOT_USER_ID,
    event_id: str | None = None,
    event_time: int | None = None,
) -> JSONDict:
    """Wrap an event in the Events API ``event_callback`` envelope (``app_mention.json``)."""
    env = load_sample("app_mention.json")
    env["team_id"] = team_id
    env["context_team_id"] = team_id
    env["api_app_id"] = api_app_id
    env["event"] = event
    env["event_id"] = event_id or "Ev" + secrets.token_hex(5).upper()
    env["event_time"] = int(time.time()) if event_time is None else event_time
    env["authorizations"] = [
        {
            "enterprise_id": None,
            "team_id": team_id,
            "user_id": bot_user_id,
            "is_bot": True,
            "is_enterprise_install": False,
        }
    ]
    ctx = {"et": event.get("type"), "tid": team_id, "aid": api_app_id, "cid": event.get("channel")}
    raw = json.dumps(ctx, separators=(",", ":")).encode()
    env["event_context"] = "4-" + base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return env


def app_mention_event(
    text: str,
    *,
    user: str = USER_ID,
    channel: str = CHANNEL_ID,
    team_id: str = TEAM_ID,
    thread_ts: str | None = None,
    ts: str | None = None,
    bot_user_id: str = BOT_USER_ID,
    api_app_id: str = APP_ID,
    event_id: str | None = None,
) -> JSONDict:
    """A full ``event_callback`` envelope for an ``app_mention`` (JSON-encode it to send).

    ``<@bot_user_id> `` is prepended to ``text`` unless the text already mentions the
    bot; ``blocks`` are rebuilt from the text; ``ts``/``event_id`` are fresh."""
    mention = f"<@{bot_user_id}>"
    if mention not in text:
        text = f"{mention} {text}"
    event = load_sample("app_mention.json")["event"]
    ts = ts or _now_ts()
    event.update(
        user=user,
        ts=ts,
        client_msg_id=str(uuid.uuid4()),
        text=text,
        team=team_id,
        blocks=_rich_text_blocks(text),
        channel=channel,
        event_ts=ts,
    )
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event_callback(
        event,
        team_id=team_id,
        api_app_id=api_app_id,
        bot_user_id=bot_user_id,
        event_id=event_id,
    )


def block_actions_payload(
    action_id: str = "ainews_more",
    value: str = "article:42",
    *,
    user_id: str = USER_ID,
    user_name: str | None = None,
    channel_id: str = CHANNEL_ID,
    team_id: str = TEAM_ID,
    response_url: str | None = None,
    message_ts: str | None = None,
    block_id: str | None = None,
    trigger_id: str | None = None,
    action_type: str = "button",
    is_ephemeral: bool = False,
    message_blocks: list[JSONDict] | None = None,
    api_app_id: str = APP_ID,
) -> JSONDict:
    """The decoded ``payload`` of a ``block_actions`` click (``block_actions.json``).

    For ``is_ephemeral=True`` the ``message`` is omitted, as Slack does."""
    p = load_sample("block_actions.json")
    message_ts = message_ts or p["container"]["message_ts"]
    p["user"].update(id=user_id, team_id=team_id)
    if user_name:
        p["user"].update(username=user_name, name=user_name)
    p["api_app_id"] = api_app_id
    p["container"].update(message_ts=message_ts, channel_id=channel_id, is_ephemeral=is_ephemeral)
    p["trigger_id"] = trigger_id or _trigger_id()
    p["team"]["id"] = team_id
    p["channel"]["id"] = channel_id
    if response_url:
        p["response_url"] = response_url
    action = p["actions"][0]
    action.update(
        action_id=action_id,
        value=value,
        type=action_type,
        action_ts=_now_ts(),
        block_id=block_id or action["block_id"],
    )
    if is_ephemeral:
        del p["message"]
    else:
        p["message"].update(ts=message_ts, team=team_id)
        if message_blocks is not None:
            p["message"]["blocks"] = message_blocks
    return p


def block_actions_body(action_id: str = "ainews_more", value: str = "article:42", **kw: Any) -> str:
    """The form-encoded ``payload=<json>`` body Slack POSTs for a block_actions click.
    Keyword arguments as :func:`block_actions_payload`."""
    payload = block_actions_payload(action_id, value, **kw)
    return urlencode({"payload": json.dumps(payload, separators=(",", ":"))})


def url_verification_body(challenge: str, *, token: str | None = None) -> str:
    """The JSON body of the Events API ``url_verification`` handshake."""
    sample_token = load_sample("app_mention.json")["token"]
    return json.dumps(
        {"token": token or sample_token, "challenge": challenge, "type": "url_verification"}
    )


# --------------------------------------------------------------------------- HTTP helpers


@dataclass(frozen=True)
class HTTPResult:
    status: int
    headers: dict[str, str]
    body: str

    def json(self) -> Any:
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        return _header(self.headers, name)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def http_request(
    url: str,
    *,
    method: str = "POST",
    body: str | bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 10.0,
) -> HTTPResult:
    """Plain urllib request that returns 4xx/5xx/3xx responses instead of raising."""
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    try:
        with _OPENER.open(req, timeout=timeout) as resp:
            return HTTPResult(resp.status, dict(resp.headers.items()), resp.read().decode())
    except urllib.error.HTTPError as err:
        with err:
            return HTTPResult(err.code, dict(err.headers.items()), err.read().decode())


class _BoltHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    bolt_app: App
    events_path: str


class _BoltHandler(BaseHTTPRequestHandler):
    server: _BoltHTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def _bolt_request(self, body: str, query: str) -> Any:
        from slack_bolt.request import BoltRequest

        headers: dict[str, str | Sequence[str]] = {
            k: list(self.headers.get_all(k) or []) for k in set(self.headers.keys())
        }
        return BoltRequest(body=body, query=query, headers=headers)

    def do_POST(self) -> None:  # noqa: N802
        path, _, query = self.path.partition("?")
        if path != self.server.events_path:
            self._send(404, {}, "")
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8") if length else ""
        resp = self.server.bolt_app.dispatch(self._bolt_request(body, query))
        self._send(resp.status, resp.headers, resp.body)

    def do_GET(self) -> None:  # noqa: N802
        path, _, query = self.path.partition("?")
        flow = self.server.bolt_app.oauth_flow
        if flow is not None and path == flow.install_path:
            resp = flow.handle_installation(self._bolt_request("", query))
        elif flow is not None and path == flow.redirect_uri_path:
            resp = flow.handle_callback(self._bolt_request("", query))
        else:
            self._send(404, {}, "")
            return
        self._send(resp.status, resp.headers, resp.body)

    def _send(self, status: int, headers: Mapping[str, Any], body: str | dict[str, Any]) -> None:
        payload = (body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(status)
        for key, values in headers.items():
            if key.lower() == "content-length":
                continue
            for value in [values] if isinstance(values, str) else values:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class BoltHTTPServer:
    """Serve a sync ``slack_bolt.App`` over real HTTP on ``127.0.0.1:0`` in a thread.

    Requests are turned into ``BoltRequest`` and run through ``app.dispatch`` (POST on
    ``path``) or ``app.oauth_flow`` (GET on its install/redirect paths)."""

    def __init__(self, app: App, *, path: str = "/slack/events", host: str = "127.0.0.1") -> None:
        self.app = app
        self.path = path
        self.host = host
        self._server: _BoltHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> BoltHTTPServer:
        server = _BoltHTTPServer((self.host, 0), _BoltHandler)
        server.bolt_app = self.app
        server.events_path = self.path
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> BoltHTTPServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def root_url(self) -> str:
        if self._server is None:
            raise RuntimeError("BoltHTTPServer is not running")
        return f"http://{self.host}:{self._server.server_address[1]}"

    @property
    def url(self) -> str:
        """The events/commands/interactivity request URL."""
        return self.root_url + self.path

    def post(self, body: str, headers: Mapping[str, str]) -> HTTPResult:
        return http_request(self.url, body=body, headers=headers)

    def get(self, path_and_query: str) -> HTTPResult:
        return http_request(self.root_url + path_and_query, method="GET")
