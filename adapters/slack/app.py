"""The Slack adapter: bolt's ``AsyncApp`` over the platform-free ``Service``.

Slack gives an app three seconds to acknowledge a slash command, an event or a click, and
the core is synchronous and CPU-bound (embeddings, ranking). So every listener acks first,
then runs ``service.handle_text`` in a worker thread and answers later: through the
``response_url`` for commands and buttons, with ``chat.postMessage`` for mentions. The
event loop only ever waits on I/O, which keeps acks fast under load.

Modes: Socket Mode when ``SLACK_APP_TOKEN`` is set; otherwise routes on the process's
HTTP server (``AINEWS_HTTP_HOST:AINEWS_HTTP_PORT``): ``/slack/events`` and, when
``SLACK_CLIENT_ID``/``SECRET`` are set, ``/slack/install`` + ``/slack/oauth_redirect``
storing installations in the project's database so one deployment serves many workspaces.

``/slack/events`` checks, in this order and before bolt sees anything: the signature
against ``SLACK_SIGNING_SECRET`` on the raw bytes (else 401), that no replica has seen the
request before (the shared ``slack_replay`` table; else 401), that the body is a Slack
payload (else 400). Each refusal is one WARNING line, never a traceback. Bolt then checks
the signature once more, as it always does.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import dataclasses
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urljoin

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp, AsyncAssistant, AsyncRespond, AsyncSetStatus
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.set_suggested_prompts.async_set_suggested_prompts import (
    AsyncSetSuggestedPrompts,
)
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import SQLAlchemyError

from adapters.live import LiveAnswer
from adapters.slack import files
from adapters.slack.delivery import make_client
from adapters.slack.digests import SlackDigestSender
from adapters.slack.guard import (
    EVENT_WINDOW_SECONDS,
    check_signature,
    digest,
    expected_signature,
    replay_digest,
    replay_expiry,
)
from adapters.slack.home import PREVIEW_ACTION, SUBSCRIBE_ACTION, home_view
from adapters.slack.inbound import MalformedRequest, clean, is_ssl_check, parse_body
from adapters.slack.permissions import Managers
from adapters.slack.render import (
    ACTION_IDS,
    VOTE_IDS,
    Message,
    Signer,
    fallback_text,
    mrkdwn,
    parse_next_value,
    render,
)
from adapters.slack.scopes import BOT_SCOPES
from adapters.slack.store import InstallationStore, SeenStore, StateStore
from bot.commands import parse, verb_word
from bot.feedback import cast
from bot.i18n import t
from bot.ports import DeliveryError
from bot.reply import Button, Reply
from bot.service import Context, Service
from bot.settings import Settings

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
DRAIN_SECONDS = 10.0
# Threads for the CPU-bound core. Its own pool, not asyncio's default one: bolt's OAuth
# authorize step (installation lookups) runs in the default pool before each ack, and must
# never queue behind searches.
CORE_THREADS = 4


class SlackConfigError(ValueError):
    """Settings that cannot run a Slack app; the message says which variable to set."""


class _QuietTokenWarning(logging.Filter):
    """Bolt warns that ``SLACK_BOT_TOKEN`` "will be unused" whenever a client is passed; the
    token is in fact used (it is on that client), so the warning would only mislead."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


_bolt_log = logging.getLogger("slack_bolt.AsyncApp")
if not any(isinstance(f, _QuietTokenWarning) for f in _bolt_log.filters):
    _bolt_log.addFilter(_QuietTokenWarning())


def _secret(value: Any) -> str | None:
    return value.get_secret_value() if value is not None else None


class SlackAdapter:
    """Implements ``bot.ports.Adapter`` for Slack."""

    platform = "slack"

    def __init__(self, *, service: Service, settings: Settings) -> None:
        self.service = service
        self.settings = settings
        self.mounted = False  # HTTP mode: routes served by the process's server (``mount``)
        self.bot_token = _secret(settings.slack_bot_token)
        self.app_token = _secret(settings.slack_app_token)
        signing_secret = _secret(settings.slack_signing_secret)
        self.signing_secret = signing_secret or ""
        self.oauth = bool(settings.slack_client_id and settings.slack_client_secret)
        self.socket_mode = bool(self.app_token)
        if not self.socket_mode and not signing_secret:
            raise SlackConfigError(
                "SLACK_SIGNING_SECRET is required in HTTP mode (or set SLACK_APP_TOKEN for "
                "Socket Mode): without it anyone could post commands to the bot"
            )
        if not self.oauth and not self.bot_token:
            raise SlackConfigError(
                "set SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID and "
                "SLACK_CLIENT_SECRET (OAuth install, many workspaces)"
            )
        self.api_url = settings.slack_api_url
        self.client = make_client(None if self.oauth else self.bot_token, self.api_url)
        self.installations: InstallationStore | None = None
        oauth_settings = None
        if self.oauth:
            engine = service.core.engine
            self.installations = InstallationStore(engine, str(settings.slack_client_id))
            oauth_settings = AsyncOAuthSettings(
                client_id=settings.slack_client_id,
                client_secret=_secret(settings.slack_client_secret),
                scopes=BOT_SCOPES,
                installation_store=self.installations,
                state_store=StateStore(engine),
                install_path=INSTALL_PATH,
                redirect_uri_path=REDIRECT_PATH,
                authorization_url=urljoin(self.client.base_url, "../oauth/v2/authorize"),
                install_page_rendering_enabled=False,  # /slack/install goes straight to Slack
            )
        if not self.oauth:
            # Bolt reads SLACK_CLIENT_ID/SECRET from the environment on its own and, if they
            # exist (even empty), switches to OAuth and ignores the bot token. Our settings
            # already decided: keep bolt from second-guessing them.
            for name in ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"):
                os.environ.pop(name, None)
        self.app = AsyncApp(
            name="ainews",
            client=self.client,
            signing_secret=signing_secret or "",
            oauth_settings=oauth_settings,
            installation_store=self.installations,
            # Bolt skips the signature check for Socket Mode envelopes by itself; HTTP
            # requests are always checked (by ``_http_events`` first, then by bolt).
        )
        if self.oauth:
            self.app.enable_token_revocation_listeners()
        self.managers = Managers(settings)
        # Signatures and event ids already handled, by this replica or any other.
        self._seen = SeenStore(service.core.engine)
        self._inflight: set[asyncio.Task[Any]] = set()
        self._pool = ThreadPoolExecutor(CORE_THREADS, thread_name_prefix="ainews-slack")
        self._socket: Any = None
        self._connected = False
        self._register()

    # -- lifecycle ----------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._connected

    async def start(self) -> None:
        await self._in_pool(self.service.feedback.prepare)  # the vote key, read once
        if self.socket_mode:
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            self._socket = AsyncSocketModeHandler(self.app, self.app_token)
            await self._socket.connect_async()
            self._connected = True
            print("ainews slack connected (socket mode)", flush=True)
            return
        if not self.mounted:
            raise RuntimeError("HTTP mode serves from the process's server: call mount() first")
        self._connected = True  # the shared server is already listening (it printed its URL)
        log.info("slack routes mounted at %s on the shared http server", EVENTS_PATH)

    async def stop(self) -> None:
        """Stop taking requests, then give answers already under way time to arrive."""
        self._connected = False
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None
        pending = {task for task in self._inflight if not task.done()}
        if pending:
            await asyncio.wait(pending, timeout=DRAIN_SECONDS)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def mount(self, web_app: web.Application) -> None:
        """Serve Slack's routes from the process's one HTTP server (``adapters.http``), beside
        /healthz and /metrics; in HTTP mode this comes before ``start``.

        In Socket Mode nothing is mounted: Slack does not call us over HTTP then, and an
        events route without a signing secret would accept anyone's requests.
        """
        if self.socket_mode:
            return
        self._add_routes(web_app)
        self.mounted = True

    def _add_routes(self, web_app: web.Application) -> None:
        web_app.router.add_post(EVENTS_PATH, self._http_events)
        if self.app.oauth_flow is not None:
            web_app.router.add_get(INSTALL_PATH, self._http_oauth)
            web_app.router.add_get(REDIRECT_PATH, self._http_oauth)

    async def _http_events(self, request: web.Request) -> web.Response:
        """Signature, then replay, then shape; only then bolt (see the module docstring)."""
        raw = await request.read()
        timestamp = request.headers.get("X-Slack-Request-Timestamp")
        signature = request.headers.get("X-Slack-Signature")
        if timestamp is None and signature is None and is_ssl_check(raw):
            return web.Response(text="")  # Slack's unsigned certificate probe: nothing runs
        problem = check_signature(self.signing_secret, timestamp, signature, raw)
        if problem is not None or timestamp is None:
            return _refuse(request, 401, problem or "unsigned")
        key = replay_digest(expected_signature(self.signing_secret, timestamp, raw))
        try:
            fresh = await self._seen.async_first_sighting(key, replay_expiry(timestamp))
        except SQLAlchemyError as exc:  # cannot tell a replay: refuse; Slack retries events
            log.error("slack request refused (503): replay check failed: %s", _short(exc))
            return web.Response(status=503)
        if not fresh:
            return _refuse(request, 401, "replayed request")
        try:
            text, payload = parse_body(raw, request.content_type)
            bolt_request = AsyncBoltRequest(
                body=text,
                query=request.query_string,
                headers=request.headers,  # type: ignore[arg-type]  # as bolt's adapter does
            )
            if bolt_request.body != payload:  # bolt's parser lost a form (see parse_body)
                bolt_request.body = payload
                bolt_request.context = build_async_context(bolt_request.context, payload)
        except MalformedRequest as exc:
            return _refuse(request, 400, f"signed, but {exc}")
        except Exception as exc:  # bolt could not read a payload of an unexpected shape
            return _refuse(request, 400, f"signed, but unreadable ({type(exc).__name__})")
        response = await self.app.async_dispatch(bolt_request)
        return await to_aiohttp_response(response)

    async def _http_oauth(self, request: web.Request) -> web.Response:
        flow = self.app.oauth_flow
        assert flow is not None
        bolt_request = await to_bolt_request(request)
        if request.path == INSTALL_PATH:
            response = await flow.handle_installation(bolt_request)
        else:
            response = await flow.handle_callback(bolt_request)
        return await to_aiohttp_response(response)

    # -- listeners ----------------------------------------------------------------------------

    def _register(self) -> None:
        self.app.command("/ainews")(self._on_command)
        self.app.event("app_mention")(self._on_mention)
        self.app.event("message")(self._on_message)
        self.app.event("app_home_opened")(self._on_home_opened)
        for action in ACTION_IDS.values():
            self.app.action(action)(self._on_action)
        for action in VOTE_IDS.values():
            self.app.action(action)(self._on_vote)
        self.app.action(PREVIEW_ACTION)(self._on_home_preview)
        self.app.action(SUBSCRIBE_ACTION)(self._on_home_subscribe)
        # Where the workspace offers Slack's AI-app surface, DM threads with the assistant
        # reach ``_on_assistant_message`` (with a "thinking" status) instead of ``_on_message``.
        assistant = AsyncAssistant()
        assistant.thread_started(self._on_assistant_started)
        assistant.user_message(self._on_assistant_message)
        self.app.assistant(assistant)

    @contextlib.asynccontextmanager
    async def _work(self) -> AsyncIterator[None]:
        """Tracks post-ack work (bolt runs it in an unreferenced task) so ``stop`` can drain."""
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        try:
            yield
        except Exception:
            log.exception("slack request failed after ack")
        finally:
            if task is not None:
                self._inflight.discard(task)

    async def _on_command(
        self,
        ack: Callable[..., Awaitable[Any]],
        command: dict[str, Any],
        respond: AsyncRespond,
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        await ack()
        async with self._work():
            text = clean(command.get("text") or "")
            ctx = await self._context(
                client, context, command.get("channel_id", ""), command.get("user_id", ""), text
            )
            live = None
            if self._streams(text) and respond.response_url:
                # A response_url takes five posts: the placeholder, two partials, the answer.
                lang = parse(text).lang
                await respond(text=t("looking", lang), response_type="in_channel")

                async def edit(partial: str) -> None:
                    shown = render(Reply(text=partial, lang=lang), public=True)
                    await respond(
                        text=shown.text,
                        blocks=shown.blocks or None,
                        response_type="in_channel",
                        replace_original=True,
                    )

                live = LiveAnswer(edit, max_edits=2)
                ctx = dataclasses.replace(ctx, progress=live.progress)
            reply = await self._handle(text, ctx)
            if live is not None:
                await live.finish()
            intro = fallback_text(reply)  # what introduces the files where they land
            if reply.files and reply.ephemeral:  # only the asker sees it: files go to their DM
                reply.text += "\n" + t("file_sent_dm", reply.lang, name=files.names(reply.files))
            sign = self._signer(ctx)
            message = render(reply, command=text, extra=_extra(text, reply), sign=sign)
            await self._respond(respond, reply, message, replace=live is not None)
            await self._attach_after_response(client, respond, reply, ctx, intro)

    async def _first_delivery(self, body: dict[str, Any], event: dict[str, Any]) -> bool:
        """False for an event Slack redelivered that some replica already took."""
        event_id = str(body.get("event_id") or event.get("event_ts"))
        key, until = digest("event", event_id), time.time() + EVENT_WINDOW_SECONDS
        return bool(await self._seen.async_first_sighting(key, until))

    async def _on_mention(
        self,
        event: dict[str, Any],
        body: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        async with self._work():
            if not await self._first_delivery(body, event):
                return  # Slack redelivered an event that some replica already answered
            text = clean(event.get("text") or "", bot_user_id=context.bot_user_id)
            await self._answer(event, text, client, context)

    async def _on_message(
        self,
        event: dict[str, Any],
        body: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        """A follow-up without a mention: a reply in a thread whose conversation has a live
        question (the bot answered in it or under it), or a DM. Anything else is not for us,
        and a message mentioning the bot is answered as the ``app_mention`` it also is."""
        async with self._work():
            if event.get("subtype") or event.get("bot_id") or not event.get("user"):
                return  # edits, joins, bots (this one included)
            raw = event.get("text") or ""
            if context.bot_user_id and f"<@{context.bot_user_id}>" in raw:
                return
            dm = event.get("channel_type") == "im"
            if not (dm or event.get("thread_ts")):
                return
            key = _conversation(context, event)
            if not dm and self.service.conversations.get(key) is None:
                return
            if not await self._first_delivery(body, event):
                return
            await self._answer(event, clean(raw, bot_user_id=context.bot_user_id), client, context)

    async def _answer(
        self,
        event: dict[str, Any],
        text: str,
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        """Answer a mention or a follow-up message where it was written."""
        channel, user = event.get("channel", ""), event.get("user", "")
        key = _conversation(context, event)
        ctx = await self._context(client, context, channel, user, text, conversation=key)
        # In a thread: answer there. At a channel's root: in a thread under the question, so
        # questions never fill the channel. A DM's root is answered at the root.
        dm = event.get("channel_type") == "im"
        thread_ts = event.get("thread_ts") or (None if dm else event.get("ts"))
        placeholder, live = None, None
        if self._streams(text):
            lang = parse(text).lang
            posted = await client.chat_postMessage(
                channel=channel, text=t("looking", lang), thread_ts=thread_ts
            )
            placeholder = str(posted.get("ts"))

            async def edit(partial: str) -> None:
                shown = render(Reply(text=partial, lang=lang), public=True)
                await client.chat_update(
                    channel=channel, ts=placeholder, text=shown.text, blocks=shown.blocks
                )

            live = LiveAnswer(edit)
            ctx = dataclasses.replace(ctx, progress=live.progress)
        reply = await self._handle(text, ctx)
        if live is not None:
            await live.finish()
        extra = _extra(text, reply)
        message = render(reply, command=text, public=True, extra=extra, sign=self._signer(ctx))
        if reply.error and reply.ephemeral:  # refusals and usage hints: only the asker
            if placeholder is not None:
                await client.chat_delete(channel=channel, ts=placeholder)
            await client.chat_postEphemeral(
                channel=channel,
                user=user,
                text=message.text,
                blocks=message.blocks or None,
                thread_ts=thread_ts,
            )
            return
        if placeholder is not None:  # the placeholder becomes the answer
            await client.chat_update(
                channel=channel, ts=placeholder, text=message.text, blocks=message.blocks
            )
        else:
            await client.chat_postMessage(
                channel=channel,
                text=message.text,
                blocks=message.blocks or None,
                thread_ts=thread_ts,
                unfurl_links=False,
                unfurl_media=False,
            )
        if reply.files:  # under the answer, in its thread
            error = await files.upload(client, reply.files, channel=channel, thread_ts=thread_ts)
            if error is not None:
                note = files.failure(error, reply.files, reply.lang)
                await client.chat_postMessage(channel=channel, text=note, thread_ts=thread_ts)

    async def _on_action(
        self,
        ack: Callable[..., Awaitable[Any]],
        body: dict[str, Any],
        action: dict[str, Any],
        respond: AsyncRespond,
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        await ack()
        async with self._work():
            action_id, value = action.get("action_id"), str(action.get("value") or "")
            page, audience = 0, "private"  # exploring (more, next) shows only the clicker
            if action_id == ACTION_IDS["more_like_this"]:
                story, _, lang = value.partition(":")
                if not story.isdigit():
                    return
                text = f"{verb_word('story', lang)} {story}"
            elif action_id == ACTION_IDS["subscribe"]:
                text, audience = verb_word("subscribe", value), "as_replied"
            elif action_id == ACTION_IDS["share"]:
                text, audience = value, "public"
            else:
                parsed = parse_next_value(value)
                if parsed is None:
                    return
                text, page = parsed
            channel = _id(body.get("channel")) or _id(body.get("container"), "channel_id")
            user = _id(body.get("user"))
            ctx = await self._context(client, context, channel, user, text)
            reply = await self._handle(text, ctx)
            if audience != "as_replied":
                reply.ephemeral = audience == "private" or reply.error
            public = not reply.ephemeral
            sign = self._signer(ctx)
            message = render(reply, page=page, command=text, public=public, sign=sign)
            await self._respond(respond, reply, message)

    # -- feedback, App Home, assistant --------------------------------------------------------

    async def _on_vote(
        self,
        ack: Callable[..., Awaitable[Any]],
        body: dict[str, Any],
        action: dict[str, Any],
        respond: AsyncRespond,
        context: AsyncBoltContext,
    ) -> None:
        """👍/👎: acknowledged at once; counted only if the button's signed value belongs to
        the channel the (signature-checked) click came from."""
        await ack()
        async with self._work():
            token, _, lang = str(action.get("value") or "").partition(" ")
            lang = lang if lang in ("es", "en") else "en"
            value = 1 if action.get("action_id") == VOTE_IDS[1] else -1
            channel = _id(body.get("channel")) or _id(body.get("container"), "channel_id")
            where = ("slack", context.team_id or context.enterprise_id or "", channel)
            user = _id(body.get("user"))
            vote, text = await self._in_pool(
                cast, self.service.feedback, [where], user, token, value, lang
            )
            if vote is None:
                log.warning("slack vote refused: the button is not valid in %s", channel)
            if respond.response_url:
                await respond(text=text, response_type="ephemeral", replace_original=False)

    async def _on_home_opened(
        self, event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        async with self._work():
            if event.get("tab", "home") != "home":
                return  # the Messages tab: nothing to publish
            await self._publish_home(client, context, str(event.get("user") or ""))

    async def _publish_home(
        self, client: AsyncWebClient, context: AsyncBoltContext, user: str
    ) -> None:
        workspace = context.team_id or context.enterprise_id or ""
        channels = await self._user_channels(client, user)
        lang = await self._user_lang(client, user)
        manage = await self.managers.can_manage(client, workspace, user, "feedback")
        ctx = Context(platform="slack", workspace=workspace, channel="", user=user)
        view = await self._in_pool(
            home_view, self.service, ctx, channels, lang, show_feedback=manage
        )
        await client.views_publish(user_id=user, view=view)

    async def _user_channels(self, client: AsyncWebClient, user: str) -> set[str]:
        """The channels ``user`` is in (``users.conversations``); none when Slack says no."""
        channels: set[str] = set()
        cursor = None
        try:
            for _ in range(20):
                page = await client.users_conversations(
                    user=user,
                    types="public_channel,private_channel",
                    exclude_archived=True,
                    limit=200,
                    cursor=cursor,
                )
                channels |= {str(c.get("id")) for c in page.get("channels") or []}
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    break
        except SlackApiError as exc:  # e.g. missing_scope on an app installed before it
            log.warning("users.conversations failed: %s", exc.response.get("error"))
        return channels

    async def _user_lang(self, client: AsyncWebClient, user: str) -> str:
        try:
            info = await client.users_info(user=user, include_locale=True)
        except SlackApiError:
            return "en"
        return "es" if str(info["user"].get("locale") or "").startswith("es") else "en"

    async def _on_home_preview(
        self,
        ack: Callable[..., Awaitable[Any]],
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        """ "Preview": the digest of one of the user's channels, sent to the user's DM."""
        await ack()
        async with self._work():
            await self._home_command(
                body, str(action.get("value") or ""), "digest", client, context
            )

    async def _on_home_subscribe(
        self,
        ack: Callable[..., Awaitable[Any]],
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        """A channel picked in the App Home is subscribed (with the picker's permissions)."""
        await ack()
        async with self._work():
            channel = str(action.get("selected_conversation") or "")
            await self._home_command(body, channel, "subscribe", client, context)
            await self._publish_home(client, context, _id(body.get("user")))

    async def _home_command(
        self,
        body: dict[str, Any],
        channel: str,
        text: str,
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        """Run ``text`` for ``channel`` (one the clicker is in: values are checked, not
        trusted) and send the answer to the clicker's DM (the App Home Messages tab)."""
        user = _id(body.get("user"))
        lang = await self._user_lang(client, user)
        if channel not in await self._user_channels(client, user):
            await client.chat_postMessage(channel=user, text=t("home_not_your_channel", lang))
            return
        verb = verb_word(text, lang)
        ctx = await self._context(client, context, channel, user, verb)
        reply = await self._handle(verb, ctx)
        message = render(reply, public=True)
        head = {"type": "section", "text": mrkdwn(t("home_preview_for", lang, channel=channel))}
        blocks = [head, *message.blocks][:50] if text == "digest" else message.blocks
        await client.chat_postMessage(
            channel=user, text=message.text, blocks=blocks or None, unfurl_links=False
        )

    async def _on_assistant_started(
        self, say: Callable[..., Awaitable[Any]], set_suggested_prompts: AsyncSetSuggestedPrompts
    ) -> None:
        async with self._work():
            await say(f"{t('assistant_greeting', 'en')}\n{t('assistant_greeting', 'es')}")
            prompts = [
                {"title": t(f"prompt_{name}_title", lang), "message": t(f"prompt_{name}", lang)}
                for name, lang in (("latest", "en"), ("latest", "es"), ("ask", "en"), ("ask", "es"))
            ]
            await set_suggested_prompts(prompts=prompts)

    async def _on_assistant_message(
        self,
        payload: dict[str, Any],
        body: dict[str, Any],
        set_status: AsyncSetStatus,
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        """A question in an assistant thread: "thinking" status, then the answer there."""
        async with self._work():
            if not await self._first_delivery(body, payload):
                return
            text = clean(payload.get("text") or "", bot_user_id=context.bot_user_id)
            try:
                await set_status(t("assistant_thinking", parse(text).lang))
            except SlackApiError as exc:  # the status is a nicety; the answer still goes
                log.info("assistant status not set: %s", exc.response.get("error"))
            await self._answer(payload, text, client, context)

    # -- helpers ------------------------------------------------------------------------------

    async def _context(
        self,
        client: AsyncWebClient,
        context: AsyncBoltContext,
        channel: str,
        user: str,
        text: str,
        *,
        conversation: str | None = None,
    ) -> Context:
        workspace = context.team_id or context.enterprise_id or ""
        allowed = await self.managers.can_manage(client, workspace, user, text)
        return Context(
            platform="slack",
            workspace=workspace,
            channel=channel,
            user=user,
            can_manage=allowed,
            refusal="needs_slack_admin",
            conversation=conversation,
        )

    def _signer(self, ctx: Context) -> Signer:
        return self.service.feedback.signer("slack", ctx.workspace, ctx.channel)

    async def _in_pool(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``func`` in the core's thread pool (the database and the model block)."""
        loop = asyncio.get_running_loop()
        run = contextvars.copy_context().run  # as asyncio.to_thread does
        return await loop.run_in_executor(self._pool, lambda: run(func, *args, **kwargs))

    async def _handle(self, text: str, ctx: Context) -> Reply:
        try:
            reply: Reply = await self._in_pool(self.service.handle_text, text, ctx)
            return reply
        except Exception:
            log.exception("command failed: %r", text[:200])
            lang = parse(text).lang
            return Reply(text=t("internal_error", lang), lang=lang, error=True, ephemeral=True)

    def _streams(self, text: str) -> bool:
        """A question, with a model configured: shown as a placeholder that the answer
        replaces (``adapters.live``). Everything else is answered as before."""
        return self.service.llm is not None and parse(text).verb == "ask"

    async def _respond(
        self, respond: AsyncRespond, reply: Reply, message: Message, *, replace: bool = False
    ) -> None:
        """Answer through the ``response_url``; ``replace``: in place of the placeholder
        (deleted first when the answer is only for the asker)."""
        if not respond.response_url:  # e.g. a click in a modal: there is nowhere to answer
            log.warning("slack request had no response_url; the answer was dropped")
            return
        if replace and reply.ephemeral:
            await respond(delete_original=True)
            replace = False
        await respond(
            text=message.text,
            blocks=message.blocks or None,
            response_type="ephemeral" if reply.ephemeral else "in_channel",
            replace_original=replace,
            unfurl_links=False,
            unfurl_media=False,
        )

    async def _attach_after_response(
        self,
        client: AsyncWebClient,
        respond: AsyncRespond,
        reply: Reply,
        ctx: Context,
        comment: str,
    ) -> None:
        """A response_url carries no files: a public answer's go to the channel after it, a
        private one's (and those for a channel the bot is not in) to the asker's DM, where
        ``comment`` (the answer's text) introduces them. The asker hears of any failure."""
        if not reply.files or not respond.response_url:
            return
        lang, note = reply.lang, None
        if not reply.ephemeral:
            error = await files.upload(client, reply.files, channel=ctx.channel)
            if error is None:
                return
            if error not in files.NOT_A_MEMBER:
                await self._tell(respond, files.failure(error, reply.files, lang))
                return
            note = t("file_sent_dm_not_member", lang, name=files.names(reply.files))
        error = await files.upload(client, reply.files, user=ctx.user, comment=comment)
        if error is not None:
            note = files.failure(error, reply.files, lang)
        if note is not None:
            await self._tell(respond, note)

    async def _tell(self, respond: AsyncRespond, text: str) -> None:
        """A line only the asker sees, after their answer."""
        await respond(text=text, response_type="ephemeral", replace_original=False)

    # -- digests ------------------------------------------------------------------------------

    async def _client_for(self, workspace: str) -> AsyncWebClient:
        """The bot token for ``workspace``: the single token, or its installation's."""
        if self.installations is None:
            return self.client
        bot = await self.installations.async_find_bot(enterprise_id=None, team_id=workspace)
        if bot is None:  # an org-wide (Enterprise Grid) install is stored by enterprise ID
            bot = await self.installations.async_find_bot(
                enterprise_id=workspace, team_id=None, is_enterprise_install=True
            )
        token = bot.bot_token if bot is not None else self.bot_token
        if not token:
            raise DeliveryError("app_not_installed", permanent=True)
        return make_client(token, self.api_url)

    async def send(
        self,
        workspace: str,
        channel: str,
        reply: Reply,
        *,
        idempotency_key: str | None = None,
        thread: str | None = None,
    ) -> str | None:
        """Post a digest; long ones become several messages, each tagged with the digest's
        key (``adapters.slack.digests``). Raises ``DeliveryError``."""
        return await SlackDigestSender(self).send(
            workspace, channel, reply, idempotency_key=idempotency_key, thread=thread
        )


def _id(ref: Any, key: str = "id") -> str:
    """A Slack reference's id: ``"C1"`` or ``{"id": "C1", ...}`` (or ``{key: "C1"}``)."""
    if isinstance(ref, str) and key == "id":
        return ref
    value = ref.get(key) if isinstance(ref, dict) else None
    return value if isinstance(value, str) else ""


def _conversation(context: AsyncBoltContext, event: dict[str, Any]) -> str:
    """A message's conversation: its thread (``thread_ts``, or its own ``ts`` when it starts
    one); a DM is one conversation."""
    team = context.team_id or context.enterprise_id or ""
    channel = event.get("channel", "")
    if event.get("channel_type") == "im" and not event.get("thread_ts"):
        return f"slack:{team}:{channel}"
    return f"slack:{team}:{channel}:{event.get('thread_ts') or event.get('ts') or ''}"


def _refuse(request: web.Request, status: int, reason: str) -> web.Response:
    """One WARNING line, nothing from the body in it, and an empty answer."""
    log.warning("slack request refused (%d): %s, from %s", status, reason, request.remote)
    return web.Response(status=status)


def _short(exc: BaseException) -> str:
    """An exception's class and first line, without the SQL and parameters after it."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first[:200]}" if first else type(exc).__name__


def _extra(text: str, reply: Reply) -> list[Button]:
    """A digest preview offers to subscribe the channel it was asked in."""
    if parse(text).verb == "digest" and not reply.error:
        return [Button(t("btn_subscribe", reply.lang), "subscribe", reply.lang)]
    return []
