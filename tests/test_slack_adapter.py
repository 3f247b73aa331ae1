"""The Slack adapter over real HTTP: real bolt ``AsyncApp`` and real ``AsyncWebClient``
against the fake Slack Web API (tests/fakes/slack.py). Nothing is mocked.

The adapter runs on its own event loop in a background thread, like a separate process;
the tests talk to it with signed, form-encoded requests and read what reached the fake.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl

import pytest
from conftest import SEEDS, make_settings
from fakes.slack import (
    BOT_USER_ID,
    CHANNEL_ID,
    TEAM_ID,
    USER_ID,
    Call,
    FakeSlackAPI,
    HTTPResult,
    app_mention_event,
    block_actions_body,
    http_request,
    sign_request,
    slash_command_body,
    url_verification_body,
)
from sqlmodel import Session, select

from adapters.http import HttpServer
from adapters.slack import SlackAdapter, SlackConfigError
from adapters.slack.inbound import clean
from adapters.slack.render import (
    ACTION_IDS,
    CARDS_PER_PAGE,
    MAX_BLOCKS,
    MAX_SECTION_TEXT,
    escape,
    parse_next_value,
    render,
    render_all,
    safe_url,
)
from bot.core import Core
from bot.ingest.files import iter_path
from bot.models import Subscription
from bot.ports import DeliveryError
from bot.reply import Button, Card, Reply
from bot.service import Service

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TOKEN = "xoxb-1-ainews-test"
QWEN_TITLE = "Alibaba se dispara en bolsa tras el avance global de su Inteligencia Artificial"
HOSTILE = {
    "title": "Zebrafish model <!channel> alert @here",
    "body": (
        "Zebrafish researchers released a model. Read more <https://evil.example|click> "
        "or ask <@U0ALICE001> in <#C0NEWS0001>, @everyone and <!here> & <!everyone>."
    ),
    "url": "https://news.example/zebrafish?a=1&b=2|<b>",
    "date": "2026-01-10",
    "lang": "en",
    "source": "Evil <!channel> Times",
}
T = TypeVar("T")


# --------------------------------------------------------------------------- harness


class LoopThread:
    """An event loop in a daemon thread: the adapter lives here, tests stay synchronous."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        self.loop.close()


@dataclass
class Bot:
    adapter: SlackAdapter
    fake: FakeSlackAPI
    loop: LoopThread
    url: str  # the process's HTTP server, which serves Slack's routes

    @property
    def events_url(self) -> str:
        return self.url + "/slack/events"

    def post(self, body: str, headers: dict[str, str] | None = None) -> HTTPResult:
        return http_request(
            self.events_url, body=body, headers=headers or sign_request(SECRET, body)
        )

    def command(self, text: str, name: str = "cmd", **kw: Any) -> HTTPResult:
        return self.post(slash_command_body(text, response_url=self.fake.response_url(name), **kw))

    def answer(self, name: str = "cmd", timeout: float = 10) -> Call:
        return self.fake.wait_for(lambda c: c.response_url_name == name, timeout=timeout)


def seed(core: Core, tmp: Path) -> None:
    hostile = tmp / "hostile.jsonl"
    hostile.write_text(json.dumps(HOSTILE) + "\n", encoding="utf-8")
    core.ingester.ingest([*iter_path(str(SEEDS)), *iter_path(str(hostile))])


@pytest.fixture
def fake() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI() as api:
        yield api


def start_bot(core: Core, fake: FakeSlackAPI, tmp: Path, **overrides: Any) -> Iterator[Bot]:
    values: dict[str, Any] = {
        "slack_api_url": fake.base_url,
        "http_host": "127.0.0.1",
        "http_port": 0,
        "slack_signing_secret": SECRET,
        "slack_bot_token": TOKEN,
    }
    values.update(overrides)
    settings = make_settings(tmp, **values)
    loop = LoopThread()
    adapter = loop.run(_build(core, settings))
    http = HttpServer(host="127.0.0.1", port=0, health=lambda: {"ok": True}, metrics=lambda: b"")
    adapter.mount(http.app)  # as bot.app.serve does
    loop.run(http.start())
    loop.run(adapter.start())
    try:
        yield Bot(adapter, fake, loop, http.url)
    finally:
        loop.run(adapter.stop())
        loop.run(http.stop())
        loop.close()


async def _build(core: Core, settings: Any) -> SlackAdapter:
    return SlackAdapter(service=Service(core), settings=settings)


def test_http_mode_serves_only_from_the_process_server(
    core: Core, fake: FakeSlackAPI, tmp_path: Path
) -> None:
    settings = make_settings(
        tmp_path, slack_api_url=fake.base_url, slack_bot_token=TOKEN, slack_signing_secret=SECRET
    )
    loop = LoopThread()
    try:
        adapter = loop.run(_build(core, settings))
        with pytest.raises(RuntimeError, match="mount"):
            loop.run(adapter.start())
    finally:
        loop.close()


@pytest.fixture
def bot(core: Core, fake: FakeSlackAPI, tmp_path: Path) -> Iterator[Bot]:
    seed(core, tmp_path)
    yield from start_bot(core, fake, tmp_path)


def texts(blocks: list[dict[str, Any]] | None) -> str:
    """Every string in the blocks, joined: what a reader (or Slack's parser) sees."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in {"text", "value"} and isinstance(value, str):
                    out.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks or [])
    return "\n".join(out)


def assert_inert(text: str) -> None:
    """No Slack control sequence except our own http(s) links; no bare special mentions."""
    for sequence in re.findall(r"<([^<>]*)>", text):
        assert sequence.startswith(("http://", "https://")), sequence
        assert "evil" not in sequence
    assert not re.search(r"@(here|channel|everyone)\b", text, re.IGNORECASE), text


# --------------------------------------------------------------------------- interactions


def test_slash_search_acks_fast_then_answers_at_response_url(bot: Bot) -> None:
    started = time.monotonic()
    res = bot.command("search Qwen")
    acked = time.monotonic() - started

    assert (res.status, acked < 3) == (200, True)
    assert res.body == ""  # the answer comes later, not in the ack
    post = bot.answer()
    assert post.params["response_type"] == "ephemeral"
    assert post.params["replace_original"] is False
    shown = texts(post.blocks)
    assert QWEN_TITLE in shown and "Qwen" in shown
    actions = [b for b in post.blocks or [] if b["type"] == "actions"]
    assert actions and actions[-1]["elements"][0]["action_id"] == ACTION_IDS["share"]
    assert actions[-1]["elements"][0]["value"] == "search Qwen"


def test_url_verification_handshake(bot: Bot) -> None:
    res = bot.post(url_verification_body("challenge-123"))
    assert res.status == 200 and res.json() == {"challenge": "challenge-123"}


def test_mention_answers_with_post_message_in_the_thread(bot: Bot) -> None:
    envelope = app_mention_event("¿Cuántas descargas superaron los modelos Qwen?", thread_ts="17.1")

    res = bot.post(json.dumps(envelope))

    assert res.status == 200
    call = bot.fake.wait_for("chat.postMessage")
    assert call.token == TOKEN
    assert (call.params["channel"], call.params["thread_ts"]) == (CHANNEL_ID, "17.1")
    assert "700 millones" in texts(call.blocks)
    assert ACTION_IDS["share"] not in json.dumps(call.blocks)  # already public


def test_mention_at_the_channel_root_is_answered_in_a_thread_under_it(bot: Bot) -> None:
    # Issue 23: questions never fill the channel; the answer opens a thread on the mention.
    envelope = app_mention_event(f"<@{BOT_USER_ID}> latest 2")
    res = bot.post(json.dumps(envelope))
    assert res.status == 200
    call = bot.fake.wait_for("chat.postMessage")
    assert call.params["thread_ts"] == envelope["event"]["ts"]
    assert "The 2 latest stories" in call.params["text"]


def test_redelivered_event_is_answered_once(bot: Bot) -> None:
    envelope = app_mention_event("latest 1", event_id="Ev0SAME0001")
    assert bot.post(json.dumps(envelope)).status == 200
    bot.fake.wait_for("chat.postMessage")
    again = dict(envelope, event_time=envelope["event_time"] + 1)  # a new signature
    assert bot.post(json.dumps(again)).status == 200
    time.sleep(0.5)
    assert len(bot.fake.calls("chat.postMessage")) == 1


def test_more_like_this_button_shows_the_story_to_the_clicker(bot: Bot) -> None:
    bot.command("ask cuantas descargas superaron los modelos Qwen", name="ask")
    ask = bot.answer("ask")
    more = next(
        e
        for b in ask.blocks or []
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == ACTION_IDS["more_like_this"]
    )

    res = bot.post(
        block_actions_body(
            more["action_id"], more["value"], response_url=bot.fake.response_url("more")
        )
    )

    assert res.status == 200
    post = bot.answer("more")
    assert post.params["response_type"] == "ephemeral"
    assert "Story:" in post.params["text"] or "Historia:" in post.params["text"]
    assert QWEN_TITLE in texts(post.blocks)


def test_share_button_reposts_the_results_publicly(bot: Bot) -> None:
    res = bot.post(
        block_actions_body(
            ACTION_IDS["share"],
            "search Qwen",
            is_ephemeral=True,
            response_url=bot.fake.response_url("share"),
        )
    )
    assert res.status == 200
    post = bot.answer("share")
    assert post.params["response_type"] == "in_channel"
    assert QWEN_TITLE in texts(post.blocks)
    assert ACTION_IDS["share"] not in json.dumps(post.blocks)


def test_subscribe_button_subscribes_the_channel(bot: Bot, core: Core) -> None:
    res = bot.post(
        block_actions_body(ACTION_IDS["subscribe"], "es", response_url=bot.fake.response_url("sub"))
    )
    assert res.status == 200
    post = bot.answer("sub")
    assert post.params["response_type"] == "in_channel"
    assert "Listo" in post.params["text"]
    with Session(core.engine) as session:
        sub = session.exec(select(Subscription)).one()
    assert (sub.platform, sub.workspace, sub.channel) == ("slack", TEAM_ID, CHANNEL_ID)


def test_digest_preview_offers_to_subscribe(bot: Bot) -> None:
    bot.command("digest", name="digest")
    post = bot.answer("digest")
    assert ACTION_IDS["subscribe"] in json.dumps(post.blocks)


def test_next_button_shows_the_following_page(bot: Bot, core: Core, tmp_path: Path) -> None:
    words = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima".split()
    extra = tmp_path / "extra.jsonl"
    extra.write_text(
        "".join(
            json.dumps(
                {
                    "title": f"{w.title()} {w} labs ships the {w}-{n} accelerator",
                    "body": f"{w.title()} {w} {w} announced {w}-{n} hardware. " * 5,
                    "url": f"https://news.example/{w}",
                    "date": f"2026-02-{n + 1:02d}",
                    "lang": "en",
                }
            )
            + "\n"
            for n, w in enumerate(words)
        ),
        encoding="utf-8",
    )
    core.ingester.ingest(iter_path(str(extra)))
    bot.command("latest 15", name="p1")
    first = bot.answer("p1")
    (next_button,) = [
        e
        for b in first.blocks or []
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == ACTION_IDS["next"]
    ]
    assert next_button["text"]["text"] == "Next (2/2)"

    bot.post(
        block_actions_body(
            next_button["action_id"], next_button["value"], response_url=bot.fake.response_url("p2")
        )
    )

    second = bot.answer("p2")
    assert second.params["response_type"] == "ephemeral"
    assert ACTION_IDS["next"] not in json.dumps(second.blocks)
    first_titles = {b["text"]["text"] for b in first.blocks or [] if b["type"] == "section"}
    second_titles = {b["text"]["text"] for b in second.blocks or [] if b["type"] == "section"}
    assert len(second_titles) >= 2 and not first_titles & second_titles


# --------------------------------------------------------------------------- security


def test_forged_stale_and_replayed_requests_get_401_and_nothing_runs(bot: Bot) -> None:
    body = slash_command_body("search Qwen", response_url=bot.fake.response_url("evil"))
    now = int(time.time())
    forged = sign_request("not-the-secret", body)
    stale = sign_request(SECRET, body, timestamp=now - 6 * 60)
    moved = dict(sign_request(SECRET, body, timestamp=now - 60))
    moved["X-Slack-Request-Timestamp"] = str(now)  # replayed body, fresh timestamp

    statuses = [bot.post(body, headers).status for headers in (forged, stale, moved)]

    assert statuses == [401, 401, 401]
    genuine = sign_request(SECRET, body)
    assert bot.post(body, genuine).status == 200
    bot.answer("evil")
    assert bot.post(body, genuine).status == 401  # the same signed request again: a replay
    time.sleep(0.5)
    assert len(bot.fake.response_posts("evil")) == 1
    assert bot.fake.calls("chat.postMessage") == []


def test_a_slash_command_mentioning_payload_is_still_a_command(bot: Bot) -> None:
    """Bolt's own parser takes any form containing the word "payload" for a button click's
    ``payload=`` and loses the command; the adapter parses the body itself."""
    res = bot.command("search payload Qwen", name="payload")
    assert res.status == 200
    post = bot.answer("payload")
    assert QWEN_TITLE in texts(post.blocks)


def test_hostile_article_text_renders_inert(bot: Bot) -> None:
    bot.command("search zebrafish", name="z")
    slash = bot.answer("z")
    bot.post(json.dumps(app_mention_event("search zebrafish")))
    mention = bot.fake.wait_for("chat.postMessage")

    for call in (slash, mention):
        shown = texts(call.blocks)
        assert "Zebrafish model" in shown
        assert_inert(shown)
        assert_inert(call.params["text"])
        assert "&lt;!channel&gt;" in shown and "&lt;https://evil.example|click&gt;" in shown
        assert "@\u200bhere" in shown and "@\u200beveryone" in shown
        assert "<https://news.example/zebrafish?a=1&amp;b=2%7C%3Cb%3E|" in shown


def test_fifty_concurrent_slash_commands_all_ack_within_3s(bot: Bot) -> None:
    bot.command("search warm-up", name="warm")  # first request pays bolt's auth.test
    bot.answer("warm")
    queries = ["search Qwen", "ask descargas de Qwen", "latest 3", "trending", "search Nvidia"]

    def one(n: int) -> tuple[int, float]:
        body = slash_command_body(queries[n % 5], response_url=bot.fake.response_url(f"c{n}"))
        started = time.monotonic()
        res = bot.post(body)
        return res.status, time.monotonic() - started

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(one, range(50)))

    latencies = sorted(latency for _, latency in results)
    print(
        f"\nslack 50 concurrent slash commands: max ack {latencies[-1] * 1000:.0f} ms, "
        f"median {latencies[25] * 1000:.0f} ms"
    )
    assert all(status == 200 for status, _ in results)
    assert latencies[-1] < 3.0
    deadline = time.monotonic() + 60
    while len({c.response_url_name for c in bot.fake.response_posts()}) < 51:
        assert time.monotonic() < deadline, "not every command got its answer"
        time.sleep(0.1)


# --------------------------------------------------------------------------- permissions


@pytest.fixture
def admins_bot(core: Core, fake: FakeSlackAPI, tmp_path: Path) -> Iterator[Bot]:
    seed(core, tmp_path)
    yield from start_bot(
        core, fake, tmp_path, slack_managers="admins", slack_manager_ids="U0TRUSTED1"
    )


def test_admins_setting_limits_who_changes_subscriptions(admins_bot: Bot, core: Core) -> None:
    bot = admins_bot
    bot.fake.add_user("U0ADMIN001", is_admin=True)

    bot.command("subscribe 09:00 Europe/Madrid", name="alice")  # USER_ID: a regular member
    refused = bot.answer("alice")
    bot.command("sources add https://example.com/feed", name="src")
    refused_sources = bot.answer("src")
    bot.command("search Qwen", name="read")  # reading needs no permission and no lookup
    bot.answer("read")
    bot.command("subscribe 08:30", name="admin", user_id="U0ADMIN001", channel_id="C0ADMIN001")
    bot.answer("admin")
    bot.command("subscribe 07:00", name="trusted", user_id="U0TRUSTED1", channel_id="C0TRUST01")
    bot.answer("trusted")

    assert "Only workspace admins" in refused.params["text"]
    assert refused.params["response_type"] == "ephemeral"
    assert "Only workspace admins" in refused_sources.params["text"]
    with Session(core.engine) as session:
        channels = sorted(s.channel for s in session.exec(select(Subscription)).all())
    assert channels == ["C0ADMIN001", "C0TRUST01"]
    looked_up = [c.params["user"] for c in bot.fake.calls("users.info")]
    assert looked_up == [USER_ID, "U0ADMIN001"]  # cached per user; trusted IDs need none

    bot.post(json.dumps(app_mention_event("unsubscribe", channel="C0ADMIN001")))
    refusal = bot.fake.wait_for("chat.postEphemeral")  # only the asker sees the refusal
    assert refusal.params["user"] == USER_ID
    assert "Only workspace admins" in refusal.params["text"]
    assert bot.fake.calls("chat.postMessage") == []


# --------------------------------------------------------------------------- digests


def test_send_posts_digest_blocks_and_waits_out_429(bot: Bot) -> None:
    bot.fake.rate_limit_next("chat.postMessage", retry_after=1)
    reply = Reply(text="AI digest — 1 Jan 2026", cards=[_card(1)])

    bot.loop.run(bot.adapter.send(TEAM_ID, CHANNEL_ID, reply))

    first, second = bot.fake.calls("chat.postMessage")
    assert (first.status, second.status) == (429, 200)
    assert second.time - first.time >= 1.0
    assert second.token == TOKEN and "Story 1" in texts(second.blocks)


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        ("channel_not_found", True),
        ("not_in_channel", True),
        ("is_archived", True),
        ("account_inactive", True),
        ("invalid_auth", True),
        ("fatal_error", False),
    ],
)
def test_send_failures_become_delivery_errors(bot: Bot, error: str, permanent: bool) -> None:
    bot.fake.fail_next("chat.postMessage", error)
    with pytest.raises(DeliveryError) as exc:
        bot.loop.run(bot.adapter.send(TEAM_ID, CHANNEL_ID, Reply(text="digest")))
    assert (exc.value.reason, exc.value.permanent) == (error, permanent)
    assert not exc.value.maybe_delivered  # Slack answered: it did not post


def test_a_digest_post_whose_answer_is_lost_is_not_resent_by_the_client(bot: Bot) -> None:
    """A 5xx may follow a post Slack made: the error says so and the SDK does not retry it
    (the scheduler looks in the channel first)."""
    bot.fake.lose_answer_next("chat.postMessage")
    with pytest.raises(DeliveryError) as exc:
        bot.loop.run(bot.adapter.send(TEAM_ID, CHANNEL_ID, Reply(text="digest")))
    assert exc.value.maybe_delivered and not exc.value.permanent
    assert len(bot.fake.calls("chat.postMessage")) == 1
    assert len(bot.fake.messages(CHANNEL_ID)) == 1


def test_send_to_an_archived_channel_is_permanent(bot: Bot) -> None:
    bot.fake.archive_channel("C0OLD00001")
    with pytest.raises(DeliveryError) as exc:
        bot.loop.run(bot.adapter.send(TEAM_ID, "C0OLD00001", Reply(text="digest")))
    assert exc.value.permanent and exc.value.reason == "is_archived"


def test_long_digest_is_split_into_valid_messages(bot: Bot) -> None:
    reply = Reply(text="digest", cards=[_card(n) for n in range(CARDS_PER_PAGE * 2 + 3)])
    bot.loop.run(bot.adapter.send(TEAM_ID, CHANNEL_ID, reply))
    posts = bot.fake.calls("chat.postMessage")
    assert len(posts) == 3 and all(p.ok for p in posts)


# --------------------------------------------------------------------------- OAuth, sockets


def test_oauth_install_stores_the_workspace_in_the_database(
    core: Core, fake: FakeSlackAPI, tmp_path: Path
) -> None:
    seed(core, tmp_path)
    fake.client_id, fake.client_secret = "111.222", "shh"
    fake.add_workspace("T0OTHER001", name="Other")
    fake.authorize_team_id = "T0OTHER001"
    running = start_bot(
        core,
        fake,
        tmp_path,
        slack_bot_token=None,
        slack_client_id="111.222",
        slack_client_secret="shh",
    )
    bot = next(running)
    try:
        fake.redirect_uri = bot.url + "/slack/oauth_redirect"
        install = http_request(bot.url + "/slack/install", method="GET")
        assert install.status == 302
        assert (install.header("location") or "").startswith(fake.authorize_url)
        cookie = (install.header("set-cookie") or "").split(";")[0]
        authorize = http_request(install.header("location") or "", method="GET")
        callback = http_request(
            authorize.header("location") or "", method="GET", headers={"Cookie": cookie}
        )
        assert callback.status == 200

        store = bot.adapter.installations
        assert store is not None
        installed = store.find_bot(enterprise_id=None, team_id="T0OTHER001")
        assert installed is not None and installed.bot_token
        assert fake.tokens[installed.bot_token] == "T0OTHER001"

        bot.command("search Qwen", name="other", team_id="T0OTHER001")
        assert QWEN_TITLE in texts(bot.answer("other").blocks)
        bot.loop.run(bot.adapter.send("T0OTHER001", CHANNEL_ID, Reply(text="digest")))
        assert fake.calls("chat.postMessage")[-1].token == installed.bot_token
        with pytest.raises(DeliveryError) as exc:  # a workspace that never installed the app
            bot.loop.run(bot.adapter.send("T0NOBODY01", CHANNEL_ID, Reply(text="digest")))
        assert exc.value.permanent
    finally:
        running.close()


def test_socket_mode_acks_envelopes_and_answers(
    core: Core, fake: FakeSlackAPI, tmp_path: Path
) -> None:
    from aiohttp import WSMsgType, web

    seed(core, tmp_path)
    loop = LoopThread()
    acks: list[dict[str, Any]] = []
    got_ack = threading.Event()

    async def socket(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"type": "hello", "num_connections": 1})
        body = slash_command_body("search Qwen", response_url=fake.response_url("sock"))
        payload = dict(parse_qsl(body))
        await ws.send_json(
            {
                "envelope_id": "env-1",
                "type": "slash_commands",
                "payload": payload,
                "accepts_response_payload": True,
            }
        )
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                acks.append(json.loads(msg.data))
                got_ack.set()
        return ws

    async def serve() -> tuple[web.AppRunner, int]:
        app = web.Application()
        app.router.add_get("/link", socket)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return runner, runner.addresses[0][1]

    runner, port = loop.run(serve())
    fake.register_token("xapp-1-x")  # app-level tokens are not xox* tokens
    fake.respond_with("apps.connections.open", {"ok": True, "url": f"ws://127.0.0.1:{port}/link"})
    settings = make_settings(
        tmp_path, slack_api_url=fake.base_url, slack_bot_token=TOKEN, slack_app_token="xapp-1-x"
    )
    adapter = loop.run(_build(core, settings))
    try:
        loop.run(adapter.start())
        assert adapter.connected and not adapter.mounted  # no HTTP routes in Socket Mode
        assert got_ack.wait(5)
        assert acks[0]["envelope_id"] == "env-1"
        post = fake.wait_for(lambda c: c.response_url_name == "sock")
        assert QWEN_TITLE in texts(post.blocks)
        assert fake.calls("apps.connections.open")[0].token == "xapp-1-x"
    finally:
        loop.run(adapter.stop())
        loop.run(runner.cleanup())
        loop.close()


def test_http_mode_requires_a_signing_secret(core: Core, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, slack_bot_token=TOKEN, slack_signing_secret=None)
    with pytest.raises(SlackConfigError, match="SLACK_SIGNING_SECRET"):
        SlackAdapter(service=Service(core), settings=settings)


# --------------------------------------------------------------------------- renderer, units


def _card(n: int, **kw: Any) -> Card:
    values: dict[str, Any] = {
        "article_id": n,
        "title": f"Story {n}",
        "url": f"https://news.example/{n}",
        "source": "Example News",
        "published_at": None,
        "snippet": "A snippet.",
        "story_id": n,
    }
    values.update(kw)
    return Card(**values)


def test_escape_neutralizes_control_sequences_and_special_mentions() -> None:
    raw = "<!channel> <!here> <!everyone> <@U123> <#C123|x> <https://evil|click> @here a&b"
    out = escape(raw)
    assert "<" not in out and ">" not in out
    assert out.count("&lt;") == 6 and "a&amp;b" in out
    assert "@\u200bhere" in out and "@here" not in out
    assert escape("mail me@here.com @channels") == "mail me@here.com @channels"  # not mentions


def test_safe_url_only_links_http_and_keeps_the_url_whole() -> None:
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("/work/main/seeds/a.txt") is None
    assert safe_url("https://x.example/a|b>c&d") == "https://x.example/a%7Cb%3Ec&amp;d"


def test_card_without_http_url_is_bold_text_and_context_line_is_escaped() -> None:
    reply = Reply(
        text="Results",
        lang="en",
        cards=[_card(1, url="/tmp/x.txt", source="<!here>", also_reported=2, snippet="")],
    )
    blocks = render(reply).blocks
    assert blocks[1]["text"]["text"] == "*Story 1*"
    context = blocks[2]["elements"][0]["text"]
    assert context.startswith("&lt;!here&gt;") and "also reported by 2 other source(s)" in context
    assert "story 1" in context


def test_long_text_is_split_under_the_section_limit() -> None:
    text = "\n".join(f"line {n} " + "x" * 90 for n in range(200)) + " & <b>"
    message = render(Reply(text=text))
    sections = [b for b in message.blocks if b["type"] == "section"]
    assert len(sections) >= 7
    assert all(len(b["text"]["text"]) <= MAX_SECTION_TEXT for b in sections)
    joined = "\n".join(b["text"]["text"] for b in sections)
    assert joined.endswith("&amp; &lt;b&gt;")


def test_many_cards_paginate_under_50_blocks_with_a_next_button() -> None:
    reply = Reply(
        text="Results",
        cards=[_card(n, snippet="s " * 2000) for n in range(35)],
        fields=[(f"f{n}", "v") for n in range(25)],
        buttons=[Button("Share in channel", "share", "x")],
    )
    first = render(reply, command="latest 35")
    assert first.pages == 4 and len(first.blocks) <= MAX_BLOCKS  # 10 cards a page
    actions = first.blocks[-1]
    assert actions["type"] == "actions"
    next_button = actions["elements"][-1]
    assert next_button["action_id"] == ACTION_IDS["next"]
    assert parse_next_value(next_button["value"]) == ("latest 35", 1)
    last = render(reply, page=3, command="latest 35")
    assert ACTION_IDS["next"] not in json.dumps(last.blocks)
    every = render_all(reply)
    assert len(every) == 4
    for message in every:
        assert len(message.blocks) <= MAX_BLOCKS
        for block in message.blocks:
            if block["type"] == "section" and "text" in block:
                assert len(block["text"]["text"]) <= MAX_SECTION_TEXT
            if block["type"] == "section" and "fields" in block:
                assert len(block["fields"]) <= 10
            if block["type"] in {"context", "actions"}:
                assert len(block["elements"]) <= 10
    assert sum(len([b for b in m.blocks if b["type"] == "context"]) for m in every) == 35


def test_rendered_messages_pass_the_fake_block_validator() -> None:
    from fakes.slack import validate_blocks

    reply = Reply(
        text="x" * 7000,
        title="T" * 400,
        cards=[_card(n, title="<t> " * 300, snippet="& " * 3000) for n in range(30)],
        fields=[("n" * 500, "v" * 5000)] * 12,
        buttons=[Button("L" * 200, "more_like_this", "1"), Button("S", "subscribe")],
    )
    for message in render_all(reply):
        assert validate_blocks(message.blocks) == []
        assert len(message.text) <= 3000


def test_inbound_text_loses_slack_markup() -> None:
    raw = f"<@{BOT_USER_ID}> sources add <https://example.com/feed?a=1&amp;b=2|example.com>"
    assert clean(raw, bot_user_id=BOT_USER_ID) == "sources add https://example.com/feed?a=1&b=2"
    assert clean("ask about <#C1|general> &lt;3 <@U1|bob>") == "ask about #general <3 @bob"


def test_mounted_on_a_shared_server_serves_slack_routes_there(
    core: Core, fake: FakeSlackAPI, tmp_path: Path
) -> None:
    from aiohttp import web

    seed(core, tmp_path)
    settings = make_settings(
        tmp_path, slack_api_url=fake.base_url, slack_bot_token=TOKEN, slack_signing_secret=SECRET
    )
    loop = LoopThread()
    adapter = loop.run(_build(core, settings))
    shared = web.Application()
    adapter.mount(shared)

    async def serve() -> tuple[web.AppRunner, int]:
        runner = web.AppRunner(shared)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        return runner, runner.addresses[0][1]

    runner, port = loop.run(serve())
    try:
        loop.run(adapter.start())
        assert adapter.connected and adapter.mounted  # no second server
        body = slash_command_body("search Qwen", response_url=fake.response_url("shared"))
        res = http_request(
            f"http://127.0.0.1:{port}/slack/events", body=body, headers=sign_request(SECRET, body)
        )
        assert res.status == 200
        post = fake.wait_for(lambda c: c.response_url_name == "shared")
        assert QWEN_TITLE in texts(post.blocks)
    finally:
        loop.run(adapter.stop())
        loop.run(runner.cleanup())
        loop.close()


def test_manifest_matches_what_the_adapter_serves() -> None:
    yaml = pytest.importorskip("yaml")
    from adapters.slack.app import BOT_SCOPES, EVENTS_PATH, REDIRECT_PATH
    from adapters.slack.scopes import BOT_EVENTS
    from bot.defaults import packaged_config_dir

    manifest = yaml.safe_load((packaged_config_dir() / "slack-app-manifest.yml").read_text())
    (command,) = manifest["features"]["slash_commands"]
    settings = manifest["settings"]
    assert command["command"] == "/ainews" and command["url"].endswith(EVENTS_PATH)
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(BOT_SCOPES)
    assert manifest["oauth_config"]["redirect_urls"][0].endswith(REDIRECT_PATH)
    assert "app_mention" in settings["event_subscriptions"]["bot_events"]
    # Every event the adapter listens to is subscribed, and nothing else.
    assert sorted(settings["event_subscriptions"]["bot_events"]) == sorted(BOT_EVENTS)
    home = manifest["features"]["app_home"]
    assert home["home_tab_enabled"] and home["messages_tab_enabled"]
    assert not home["messages_tab_read_only_enabled"]
    assert "assistant_view" in manifest["features"]
    assert settings["event_subscriptions"]["request_url"].endswith(EVENTS_PATH)
    assert settings["interactivity"]["request_url"].endswith(EVENTS_PATH)
