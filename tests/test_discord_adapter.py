"""The Discord adapter end to end: discord.py's real client against the local fake Discord.

``FakeDiscord(patch_discord_py=False)``: the adapter itself points discord.py at the fake from
``AINEWS_DISCORD_API_URL`` (REST base) and the gateway that REST base announces, exactly as a
deployment behind a proxy would. The core is real (SQLite, hashing embedder, the seed
articles plus a few generated ones).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import discord
import pytest
from conftest import SEEDS, make_settings
from discord.app_commands import Choice
from fakes.discord import (
    APPLICATION_ID,
    BOT_ROLE_ID,
    BOT_USER,
    CHANNEL_ID,
    GUILD_ID,
    MEMBER_USER,
    MOD_USER,
    MODS_ROLE_ID,
    FakeDiscord,
    Intents,
    MessageFlag,
    Perm,
    RestCall,
    dm_channel_id,
    interaction_create_component,
    interaction_create_slash,
    message_create,
)
from sqlmodel import Session, select

from adapters.discord import DiscordAdapter, invite_url
from adapters.discord.adapter import nonce
from adapters.discord.commands import (
    command_text,
    match_timezones,
    match_topics,
    topic_names,
)
from adapters.discord.render import (
    DESCRIPTION_MAX,
    EMBEDS_MAX,
    MESSAGE_CHARS_MAX,
    ZWSP,
    embed_size,
    neutralize,
    render,
)
from bot.commands import SPECS
from bot.core import Core
from bot.i18n import t
from bot.ingest.files import iter_path
from bot.models import Subscription
from bot.ports import DeliveryError
from bot.reply import Button, Card, Reply
from bot.service import Context, Service

MESSAGES = f"/channels/{CHANNEL_ID}/messages"
REAL_BASE = "https://discord.com/api/v10"
QWEN_TITLE = "Alibaba se dispara en bolsa"  # seed 004, the Qwen article

COMPANIES = (
    "Nvidia Anthropic Mistral Cohere DeepSeek Groq Cerebras Perplexity Runway ElevenLabs "
    "Databricks Snowflake Replit Cursor Midjourney Sakana Baichuan MiniMax StepFun CoreWeave"
).split()
EVENTS = [
    "opens a research lab in Lisbon",
    "signs a multi-year chip supply agreement",
    "wins a copyright lawsuit about training data",
    "launches a speech model for call centers",
    "cuts prices of its coding assistant",
    "hires a former regulator as policy chief",
    "buys a robotics startup in Osaka",
    "publishes a safety evaluation of agents",
    "raises a Series D led by pension funds",
    "moves its headquarters to Toronto",
    "releases weights of a vision transformer",
    "partners with a Brazilian bank",
    "recalls a buggy firmware update",
    "announces a quantum computing pilot",
    "sponsors a university chess tournament",
    "settles a dispute with photographers",
    "debuts a translation app for farmers",
    "suspends service in two countries",
    "files for an initial public offering",
    "builds a solar powered data center",
]
EVERYONE_TITLE = "Mistral tells @everyone: open weights for all"


# --------------------------------------------------------------------------- fixtures


def _extra_articles(path: Path) -> Path:
    rows = [
        {
            "title": f"{company} {event}",
            "body": f"{company} {event}, the company said. Detail {i}: it matters for {company}.",
            "url": f"https://news.example.com/{i}",
            "date": f"2026-02-{i + 1:02d}",
            "source": "Example Wire",
        }
        for i, (company, event) in enumerate(zip(COMPANIES, EVENTS, strict=True))
    ]
    rows.append(
        {
            "title": EVERYONE_TITLE,
            "body": "Paris. @everyone should download it, says the team; @here too. "
            "<@&123456789012345678> and <@123456789012345678> as well.",
            "url": "https://news.example.com/everyone",
            "date": "2026-03-01",
            "source": "Ping Times @here",
        }
    )
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def service(core: Core, tmp_path: Path) -> Service:
    assert len(core.ingester.ingest(iter_path(str(SEEDS))).new) == 3
    extra = _extra_articles(tmp_path / "extra.jsonl")
    assert len(core.ingester.ingest(iter_path(str(extra))).new) == 21
    return Service(core)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(patch_discord_py=False) as server:
        yield server


def adapter_for(service: Service, fake: FakeDiscord, tmp: Path, **options: Any) -> DiscordAdapter:
    settings = make_settings(tmp, discord_token="fake-token", discord_api_url=fake.api_base)
    options.setdefault("guild_ready_timeout", 0.05)
    return DiscordAdapter(service=service, settings=settings, ready_timeout=5, **options)


@asynccontextmanager
async def running(adapter: DiscordAdapter) -> AsyncIterator[DiscordAdapter]:
    """Start the adapter until READY; stop it and check nothing leaks."""
    tasks_before = asyncio.all_tasks()
    threads_before = set(threading.enumerate())
    await adapter.start()
    try:
        yield adapter
    finally:
        await adapter.stop()
    await asyncio.sleep(0.05)
    leaked = [task for task in asyncio.all_tasks() - tasks_before if not task.done()]
    assert not leaked, leaked
    for thread in set(threading.enumerate()) - threads_before:
        if isinstance(thread, discord.gateway.KeepAliveHandler):  # heartbeats stop with us
            thread.join(2)
            assert not thread.is_alive(), thread
    assert discord.http.Route.BASE == REAL_BASE  # the override is undone on stop
    assert str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY) == "wss://gateway.discord.gg/"


def posts(path: str = MESSAGES) -> Any:
    return lambda c: c.method == "POST" and c.path == path


def text_of(payload: dict[str, Any]) -> str:
    """Everything a user would read in a message payload."""
    parts = [payload.get("content") or ""]
    for embed in payload.get("embeds") or []:
        parts += [embed.get("title") or "", embed.get("description") or ""]
        parts.append((embed.get("footer") or {}).get("text") or "")
        parts += [f"{f['name']} {f['value']}" for f in embed.get("fields") or []]
    return "\n".join(parts)


def custom_ids(payload: dict[str, Any]) -> list[str]:
    return [c["custom_id"] for row in payload.get("components") or [] for c in row["components"]]


async def mention(fake: FakeDiscord, text: str, **kwargs: Any) -> RestCall:
    """Send ``@ainews <text>`` and return the bot's answer POST."""
    start = len(fake.rest_calls)
    kwargs.setdefault("channel_id", CHANNEL_ID)
    data = message_create(text, **kwargs)
    await fake.dispatch("MESSAGE_CREATE", data)
    return await fake.wait_for(posts(f"/channels/{kwargs['channel_id']}/messages"), start=start)


async def slash(fake: FakeDiscord, sub: str, options: dict[str, Any], **kwargs: Any) -> Any:
    """Dispatch ``/ainews <sub>``; return (payload, callback call, follow-up call)."""
    payload = interaction_create_slash(
        "ainews", sub, options, command_id=fake.command_id("ainews"), **kwargs
    )
    await fake.dispatch("INTERACTION_CREATE", payload)
    callback = await fake.wait_for_call("POST", f"/interactions/{payload['id']}/")
    followup = await fake.wait_for(
        lambda c: c.method == "POST" and c.path == f"/webhooks/{APPLICATION_ID}/{payload['token']}"
    )
    return payload, callback, followup


# --------------------------------------------------------------------------- 1. the wire


async def test_hello_identify_ready_mention_and_slash_search(
    service: Service, fake: FakeDiscord, tmp_path: Path
) -> None:
    async with running(adapter_for(service, fake, tmp_path)) as adapter:
        assert adapter.connected
        # Endpoints come from AINEWS_DISCORD_API_URL and the gateway it announces.
        assert discord.http.Route.BASE == fake.api_base
        assert fake.calls("GET", "/gateway/bot")
        assert [c.path for c in fake.gateway_connections] == ["/gateway"]
        assert fake.identify_count == 1 and fake.identify_payloads[0]["token"] == "fake-token"
        intents = fake.intents or 0
        assert not intents & Intents.PRIVILEGED  # no Message Content / members / presences
        assert intents & Intents.GUILD_MESSAGES and intents & Intents.DIRECT_MESSAGES

        # /ainews is registered once, typed, with Spanish descriptions.
        (put,) = fake.calls("PUT", f"/applications/{APPLICATION_ID}/commands")
        (group,) = put.json
        subs = {o["name"]: o for o in group["options"]}
        assert {"search", "ask", "latest", "trending", "story", "digest", "subscribe"} <= set(subs)
        assert {"unsubscribe", "subscriptions", "sources", "lang", "help"} <= set(subs)
        assert subs["latest"]["options"][0] == {
            **subs["latest"]["options"][0],
            "name": "n",
            "type": 4,
            "min_value": 1,
            "max_value": 20,
        }
        sub_options = {o["name"]: o for o in subs["subscribe"]["options"]}
        assert sub_options["timezone"]["autocomplete"] and sub_options["topics"]["autocomplete"]
        assert sub_options["weekdays"]["type"] == 5 and sub_options["min_sources"]["type"] == 4
        assert group["description_localizations"]["es-ES"].startswith("Noticias de IA")

        # A mention gets a reply (to the question) with embeds, pinging nobody.
        question = message_create("latest 3")
        await fake.dispatch("MESSAGE_CREATE", question)
        call = await fake.wait_for(posts())
        assert call.ok, call.response
        assert call.json["allowed_mentions"] == {"parse": [], "replied_user": False}
        assert call.json["message_reference"]["message_id"] == int(question["id"])
        embeds = call.json["embeds"]
        assert embeds[0]["description"] == "The 3 latest stories:"
        assert [e["title"] for e in embeds[1:]][0] == EVERYONE_TITLE.replace(
            "@everyone", f"@{ZWSP}everyone"
        )
        assert embeds[1]["url"] == "https://news.example.com/everyone"
        assert call.response["mentions"] == [] and call.response["mention_everyone"] is False

        # /ainews search query:Qwen -> deferred (ephemeral, search results are private) ...
        payload, callback, followup = await slash(fake, "search", {"query": "Qwen"})
        assert callback.ok and callback.json["type"] == 5
        assert callback.json["data"]["flags"] == MessageFlag.EPHEMERAL
        # ... then the follow-up with the Qwen article, a Share button and no pings.
        assert followup.ok, followup.response
        assert followup.json["allowed_mentions"] == {"parse": []}
        titles = [e.get("title") or "" for e in followup.json["embeds"]]
        assert any(title.startswith(QWEN_TITLE) for title in titles)
        # Share, then 👍/👎 for each result (issue 23).
        share, *votes = custom_ids(followup.json)
        assert share == "ainews:share"
        assert len(votes) == 2 * len([t for t in titles if t])
        assert all(v.startswith("ainews:vote:") for v in votes)
        assert fake.interactions[int(payload["id"])].response_type == 5


# --------------------------------------------------------------------------- 2. Qwen answer


async def test_spanish_question_gets_an_answer_citing_the_qwen_article(
    service: Service, fake: FakeDiscord, tmp_path: Path
) -> None:
    async with running(adapter_for(service, fake, tmp_path)):
        call = await mention(fake, "¿qué pasa con Qwen?")
        assert call.ok
        answer, *cited = call.json["embeds"]
        assert answer["description"].startswith("Esto dicen las noticias")
        assert "700 millones de descargas" in answer["description"]
        assert cited and cited[0]["title"].startswith(f"[1] {QWEN_TITLE}")
        (more,) = [c for c in custom_ids(call.json) if c.startswith("ainews:more:")]
        assert more.endswith(":es")
        row = call.json["components"][0]["components"][0]
        assert row["label"] == "Más como esto"


# --------------------------------------------------------------------------- 3. no pings


async def test_everyone_in_an_article_pings_nobody(
    service: Service, fake: FakeDiscord, tmp_path: Path
) -> None:
    async with running(adapter_for(service, fake, tmp_path)):
        call = await mention(fake, "search open weights Mistral")
        body = json.dumps(call.json, ensure_ascii=False)
        assert call.json["allowed_mentions"]["parse"] == []
        assert "users" not in call.json["allowed_mentions"]
        assert "roles" not in call.json["allowed_mentions"]
        assert f"@{ZWSP}everyone" in body and f"@{ZWSP}here" in body
        for raw in ("@everyone", "@here", "<@&123456789012345678>", "<@123456789012345678>"):
            assert raw not in body
        assert call.response["mention_everyone"] is False
        assert call.response["mentions"] == [] and call.response["mention_roles"] == []

        # Slash follow-ups too.
        _payload, _callback, followup = await slash(fake, "search", {"query": "Mistral"})
        assert followup.json["allowed_mentions"] == {"parse": []}
        assert "@everyone" not in json.dumps(followup.json, ensure_ascii=False)
        assert followup.response["mention_everyone"] is False


# --------------------------------------------------------------------------- 4. permissions


def _subscriptions(service: Service) -> list[Subscription]:
    with Session(service.core.engine) as session:
        return list(session.exec(select(Subscription)).all())


async def test_only_members_with_manage_channels_change_the_subscription(
    service: Service, fake: FakeDiscord, tmp_path: Path
) -> None:
    locked = fake.add_channel(
        "mods-locked",
        permission_overwrites=[
            {"id": MODS_ROLE_ID, "type": 0, "allow": 0, "deny": Perm.MANAGE_CHANNELS}
        ],
    )
    refusal = t("needs_manage_channels", "en")
    async with running(adapter_for(service, fake, tmp_path)):
        # A plain member, by mention and by slash command: refused, and told why.
        call = await mention(fake, "subscribe 09:00 Europe/Madrid", author=MEMBER_USER)
        assert call.json["embeds"][0]["description"] == refusal
        _p, callback, followup = await slash(
            fake, "subscribe", {"time": "09:00"}, member=MEMBER_USER
        )
        assert callback.json["data"]["flags"] == MessageFlag.EPHEMERAL  # refusals are private
        assert followup.json["embeds"][0]["description"] == refusal
        # Mods lose Manage Channels in the locked channel through an overwrite.
        call = await mention(fake, "subscribe", author=MOD_USER, channel_id=int(locked["id"]))
        assert call.json["embeds"][0]["description"] == refusal
        assert _subscriptions(service) == []

        # A moderator may, with typed options that become the subscribe grammar.
        _p, callback, followup = await slash(
            fake,
            "subscribe",
            {
                "time": "08:30",
                "timezone": "Europe/Madrid",
                "topics": "Qwen Nvidia",
                "weekdays": True,
                "min_sources": 2,
            },
            member=MOD_USER,
        )
        assert callback.json["type"] == 5 and not callback.json.get("data", {}).get("flags")
        assert followup.json["embeds"][0]["description"].startswith("Done: this channel")
        (sub,) = _subscriptions(service)
        assert (sub.workspace, sub.channel) == (str(GUILD_ID), str(CHANNEL_ID))
        assert (sub.local_time, sub.timezone) == ("08:30", "Europe/Madrid")
        assert sub.platform == "discord" and sub.topics == "Qwen Nvidia"
        assert sub.weekdays_only and sub.min_sources == 2 and sub.created_by == MOD_USER["id"]

        # ... and unsubscribe by mention (permissions computed from cached roles/overwrites).
        call = await mention(fake, "unsubscribe", author=MOD_USER)
        assert call.json["embeds"][0]["description"] == t("unsubscribed", "en")
        assert _subscriptions(service) == []

        # In a DM the user manages their own conversation.
        call = await mention(
            fake, "suscribir 07:00 UTC", guild_id=None, channel_id=dm_channel_id(MEMBER_USER)
        )
        assert call.json["embeds"][0]["description"].startswith("Listo")
        (dm,) = _subscriptions(service)
        assert dm.workspace == f"dm-{MEMBER_USER['id']}"


# --------------------------------------------------------------------------- 5. resume


async def test_gateway_disconnect_resumes_and_answers_the_next_mention(
    service: Service, fake: FakeDiscord, tmp_path: Path
) -> None:
    async with running(adapter_for(service, fake, tmp_path)) as adapter:
        assert (await mention(fake, "latest 1")).ok
        await fake.disconnect_client(code=4000)
        await fake.wait_for_resume(timeout=10)
        assert fake.resume_count == 1 and fake.identify_count == 1
        assert fake.gateway_connections[-1].path == "/resume-gateway"
        call = await mention(fake, "¿qué pasa con Qwen?")
        assert call.ok and "Qwen" in text_of(call.json)
        assert adapter.connected


async def test_the_core_runs_off_the_event_loop(
    service: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A slow answer does not stop heartbeats (the core runs in a worker thread)."""
    real = service.handle_text

    def slow(text: str, ctx: Context | None = None) -> Reply:
        time.sleep(0.8)
        return real(text, ctx)

    monkeypatch.setattr(service, "handle_text", slow)
    async with FakeDiscord(patch_discord_py=False, heartbeat_interval_ms=100) as fake:
        async with running(adapter_for(service, fake, tmp_path)):
            await fake.wait_until(lambda: fake.heartbeat_count >= 1)
            await fake.dispatch("MESSAGE_CREATE", message_create("latest 1"))
            await asyncio.sleep(0.1)
            before = fake.heartbeat_count
            await fake.wait_for(posts())
            assert fake.heartbeat_count - before >= 4


# --------------------------------------------------------------------------- 6. buttons


async def test_buttons_work_after_a_restart(
    service: Service, fake: FakeDiscord, tmp_path: Path
) -> None:
    async with running(adapter_for(service, fake, tmp_path)):
        answer = await mention(fake, "¿qué pasa con Qwen?")
        latest = await mention(fake, "latest 20")
    assert not fake.connected
    answer_msg = fake.messages[int(answer.response["id"])]
    latest_msg = fake.messages[int(latest.response["id"])]
    (more,) = [c for c in custom_ids(answer.json) if c.startswith("ainews:more:")]
    assert custom_ids(latest.json) == ["ainews:next:1:latest 20"]
    assert latest.json["embeds"][-1]["footer"]["text"].endswith("Page 1/3")

    # A brand-new adapter and client: nothing in memory from the first one.
    async with running(adapter_for(service, fake, tmp_path)):
        assert len(fake.calls("PUT", "/commands")) == 1  # unchanged commands are not re-synced

        # "More like this": the story, privately, in the answer's language.
        click = interaction_create_component(more, message=answer_msg)
        await fake.dispatch("INTERACTION_CREATE", click)
        callback = await fake.wait_for_call("POST", f"/interactions/{click['id']}/")
        assert callback.ok and callback.json["type"] == 5
        assert callback.json["data"]["flags"] == MessageFlag.EPHEMERAL
        followup = await fake.wait_for_call("POST", f"/webhooks/{APPLICATION_ID}/{click['token']}")
        assert followup.json["embeds"][0]["description"].startswith("Historia:")
        assert any(QWEN_TITLE in (e.get("title") or "") for e in followup.json["embeds"])

        # "Next": the message itself turns to page 2, then 3.
        click = interaction_create_component("ainews:next:1:latest 20", message=latest_msg)
        await fake.dispatch("INTERACTION_CREATE", click)
        callback = await fake.wait_for_call("POST", f"/interactions/{click['id']}/")
        assert callback.json["type"] == 6  # "I'll update the message"
        edit = await fake.wait_for_call("PATCH", f"/webhooks/{APPLICATION_ID}/{click['token']}")
        assert edit.ok and edit.json["allowed_mentions"] == {"parse": []}
        page2 = fake.messages[int(latest_msg["id"])]
        assert page2["embeds"][-1]["footer"]["text"].endswith("Page 2/3")
        assert custom_ids(page2) == ["ainews:next:0:latest 20", "ainews:next:2:latest 20"]
        assert len(page2["embeds"]) == EMBEDS_MAX

        # "Subscribe this channel" from a plain member: refused privately.
        click = interaction_create_component("ainews:sub:en", member=MEMBER_USER)
        await fake.dispatch("INTERACTION_CREATE", click)
        followup = await fake.wait_for_call("POST", f"/webhooks/{APPLICATION_ID}/{click['token']}")
        assert followup.json["embeds"][0]["description"] == t("needs_manage_channels", "en")
        assert int(followup.response["flags"]) & MessageFlag.EPHEMERAL
        assert _subscriptions(service) == []

        # "Share in channel" re-posts the private results publicly.
        _p, _cb, results = await slash(fake, "search", {"query": "Qwen"})
        shared_from = fake.messages[int(results.response["id"])]
        click = interaction_create_component("ainews:share", message=shared_from)
        await fake.dispatch("INTERACTION_CREATE", click)
        callback = await fake.wait_for_call("POST", f"/interactions/{click['id']}/")
        assert callback.json["type"] == 4 and not callback.json["data"].get("flags")
        assert callback.json["data"]["allowed_mentions"] == {"parse": []}
        assert (
            callback.json["data"]["embeds"][0]["description"]
            == results.json["embeds"][0]["description"]
        )


async def test_autocomplete_for_timezones_and_topics(
    service: Service, fake: FakeDiscord, tmp_path: Path
) -> None:
    async with running(adapter_for(service, fake, tmp_path)):
        for option, typed, expected in (
            ("timezone", "europe/mad", "Europe/Madrid"),
            ("topics", "Nvidia Qw", "Nvidia Qwen"),
        ):
            payload = interaction_create_slash(
                "ainews",
                "subscribe",
                {option: {"type": 3, "value": typed, "focused": True}},
                command_id=fake.command_id("ainews"),
            )
            payload["type"] = 4  # APPLICATION_COMMAND_AUTOCOMPLETE
            await fake.dispatch("INTERACTION_CREATE", payload)
            call = await fake.wait_for_call("POST", f"/interactions/{payload['id']}/")
            assert call.ok and call.json["type"] == 8
            values = [c["value"] for c in call.json["data"]["choices"]]
            assert values[0] == expected and len(values) <= 25


# --------------------------------------------------------------------------- mentions


async def test_only_messages_for_the_bot_are_answered(service: Service, tmp_path: Path) -> None:
    # Without any privileged intent enabled in the "portal": the bot still starts and works.
    async with FakeDiscord(patch_discord_py=False, allowed_privileged_intents=0) as fake:
        async with running(adapter_for(service, fake, tmp_path)):
            other_bot = {**MEMBER_USER, "id": "1300000000000000001", "bot": True}
            for ignored in (
                message_create("latest 1", mentions=[]),
                message_create("@everyone latest 1", mentions=[]),
                message_create("latest 1", author=other_bot),
                message_create("latest 1", author=BOT_USER),
            ):
                await fake.dispatch("MESSAGE_CREATE", ignored)
            # Mentioning the bot's managed role counts, but without the Message Content
            # intent Discord blanks that text: the user is told to type a command.
            by_role = await mention(
                fake, f"<@&{BOT_ROLE_ID}> latest 1", mentions=[], mention_roles=[BOT_ROLE_ID]
            )
            assert by_role.json["embeds"][0]["description"] == t("empty_command", "en")
            # A DM needs no mention.
            dm = await mention(
                fake,
                "latest 1",
                mentions=[],
                guild_id=None,
                channel_id=dm_channel_id(MEMBER_USER),
            )
            assert by_role.ok and dm.ok
            assert len(fake.calls("POST", "/messages")) == 2
            # A thread: the answer goes to the thread.
            thread = fake.add_channel("thread", type=11, parent_id=CHANNEL_ID)
            thread.update(
                owner_id=MEMBER_USER["id"],
                member_count=1,
                message_count=0,
                thread_metadata={
                    "archived": False,
                    "auto_archive_duration": 1440,
                    "archive_timestamp": "2026-01-01T00:00:00+00:00",
                    "locked": False,
                },
            )
            await fake.dispatch("THREAD_CREATE", {**thread, "newly_created": True})
            in_thread = await mention(fake, "latest 1", channel_id=int(thread["id"]))
            assert in_thread.ok


async def test_bad_token_fails_start_with_the_reason(service: Service, tmp_path: Path) -> None:
    async with FakeDiscord(patch_discord_py=False, token="the-real-one") as fake:
        adapter = adapter_for(service, fake, tmp_path)
        with pytest.raises(discord.LoginFailure):
            await adapter.start()
        assert not adapter.connected
        assert discord.http.Route.BASE == REAL_BASE


# --------------------------------------------------------------------------- 7. digests


async def test_digest_delivery_and_its_failures(
    service: Service, fake: FakeDiscord, tmp_path: Path
) -> None:
    denied = fake.add_channel(
        "read-only",
        permission_overwrites=[
            {"id": BOT_ROLE_ID, "type": 0, "allow": 0, "deny": Perm.SEND_MESSAGES}
        ],
    )
    ctx = Context(platform="discord", workspace=str(GUILD_ID), channel=str(CHANNEL_ID))
    digest = service.handle_text("digest", ctx)
    adapter = adapter_for(service, fake, tmp_path)
    with pytest.raises(DeliveryError) as not_running:
        await adapter.send(str(GUILD_ID), str(CHANNEL_ID), digest)
    assert not not_running.value.permanent

    async with running(adapter):
        await adapter.send(str(GUILD_ID), str(CHANNEL_ID), digest, idempotency_key="sub1:2026")
        sent = fake.calls("POST", MESSAGES)[-1]
        assert sent.ok and sent.json["nonce"] == nonce("sub1:2026", 0)
        assert sent.json["enforce_nonce"] is True
        assert sent.json["allowed_mentions"] == {"parse": []}
        assert sent.json["embeds"][0]["description"].startswith("AI digest")

        # Deleted channel (404) and removed bot / missing permission (403): permanent.
        with pytest.raises(DeliveryError) as gone:
            await adapter.send(str(GUILD_ID), str(CHANNEL_ID + 7), digest)
        assert gone.value.permanent and "Unknown Channel" in gone.value.reason
        fake.fail_next("POST /channels/", status=404)
        with pytest.raises(DeliveryError) as scripted:
            await adapter.send(str(GUILD_ID), str(CHANNEL_ID), digest)
        assert scripted.value.permanent and "10003" in scripted.value.reason
        with pytest.raises(DeliveryError) as forbidden:
            await adapter.send(str(GUILD_ID), denied["id"], digest)
        assert forbidden.value.permanent and "Missing Permissions" in forbidden.value.reason
        fake.fail_next("POST /channels/", status=403, message="Missing Access", code=50001)
        with pytest.raises(DeliveryError) as no_access:
            await adapter.send(str(GUILD_ID), str(CHANNEL_ID), digest)
        assert no_access.value.permanent and "50001" in no_access.value.reason

        # 429: discord.py waits it out and the digest goes through.
        fake.fail_next("POST /channels/", status=429, retry_after=0.05)
        start = len(fake.rest_calls)
        await adapter.send(str(GUILD_ID), str(CHANNEL_ID), digest)
        limited, ok = fake.calls("POST", MESSAGES)[-2:]
        assert limited.index >= start and limited.status == 429 and ok.ok

        # Anything else is worth retrying later.
        fake.fail_next("POST /channels/", status=503)
        with pytest.raises(DeliveryError) as unavailable:
            await adapter.send(str(GUILD_ID), str(CHANNEL_ID), digest)
        assert not unavailable.value.permanent
        with pytest.raises(DeliveryError) as bogus:
            await adapter.send(str(GUILD_ID), "general", digest)
        assert bogus.value.permanent


# --------------------------------------------------------------------------- 8. renderer


def _card(n: int, **kwargs: Any) -> Card:
    values: dict[str, Any] = {
        "article_id": n,
        "title": f"Story {n}",
        "url": f"https://example.com/{n}",
        "source": "Wire",
        "published_at": None,
        "snippet": "snippet " * 40,
        "lang": "en",
        "story_id": n,
    }
    values.update(kwargs)
    return Card(**values)


def _check_limits(pages: list[Any]) -> None:
    for page in pages:
        assert 1 <= len(page.embeds) <= EMBEDS_MAX
        assert sum(embed_size(e) for e in page.embeds) <= MESSAGE_CHARS_MAX
        assert len(page.buttons) <= 5 and len({b.custom_id for b in page.buttons}) == len(
            page.buttons
        )
        for embed in page.embeds:
            assert len(embed.title or "") <= 256
            assert len(embed.description or "") <= DESCRIPTION_MAX
            assert len(embed.fields) <= 25
            for f in embed.fields:
                assert len(f.name or "") <= 256 and len(f.value or "") <= 1024
            assert len(embed.footer.text or "") <= 2048
        for button in page.buttons:
            assert len(button.custom_id) <= 100 and len(button.label) <= 80


async def test_render_short_reply_is_one_page() -> None:
    pages = render(
        Reply(
            text="Results",
            cards=[_card(1)],
            buttons=[Button("More like this", "more_like_this", "1"), Button("x", "share", "q")],
        ),
        pager_key="search q",
    )
    assert len(pages) == 1
    assert [b.custom_id for b in pages[0].buttons] == ["ainews:more:1:en", "ainews:share"]
    assert pages[0].embeds[1].url == "https://example.com/1"
    _check_limits(pages)


async def test_render_paginates_long_text_many_fields_and_cards() -> None:
    long_text = "\n\n".join(f"Paragraph {i}. " + "word " * 300 for i in range(20))
    reply = Reply(
        text=long_text,
        title="T" * 300,
        fields=[(f"name {i}" * 40, "value " * 300) for i in range(60)],
        cards=[_card(i, title="A" * 400, snippet="s" * 5000) for i in range(25)],
        lang="es",
    )
    pages = render(reply, pager_key="latest 20")
    _check_limits(pages)
    assert len(pages) > 3
    assert pages[0].embeds[0].title == "T" * 255 + "…"
    assert [b.custom_id for b in pages[0].buttons] == ["ainews:next:1:latest 20"]
    last = pages[-1]
    assert [b.label for b in last.buttons] == ["Anterior"]
    assert last.embeds[-1].footer.text.endswith(f"Página {len(pages)}/{len(pages)}")
    # Nothing is lost: every paragraph, field and card is on some page.
    everything = "\n".join(e.description or "" for p in pages for e in p.embeds)
    assert all(f"Paragraph {i}." in everything for i in range(20))
    assert sum(len(e.fields) for p in pages for e in p.embeds) == 60
    assert sum(1 for p in pages for e in p.embeds if e.url) == 25


async def test_render_without_pager_key_has_no_navigation_and_drops_bad_urls() -> None:
    reply = Reply(text="x", cards=[_card(i, url="/srv/seeds/file.txt") for i in range(12)])
    pages = render(reply)
    assert len(pages) == 2 and all(not p.buttons for p in pages)
    assert all(e.url is None for p in pages for e in p.embeds)  # local paths are not links
    too_long_key = "search " + "q" * 200
    assert all(not p.buttons for p in render(reply, pager_key=too_long_key))


async def test_render_neutralizes_mentions_and_escapes_article_markdown() -> None:
    reply = Reply(
        text="Hi @everyone and @here <@123456789012345678> <@&123456789012345678>",
        fields=[("@everyone", "@HERE")],
        cards=[_card(1, title="[click](https://evil.example) @everyone", source="@here")],
    )
    (page,) = render(reply)
    dumped = json.dumps([e.to_dict() for e in page.embeds], ensure_ascii=False)
    for raw in ("@everyone", "@here", "@HERE", "<@123", "<@&123"):
        assert raw not in dumped
    assert page.embeds[1].title is not None and page.embeds[1].title.startswith(r"\[click]")
    assert neutralize("mail me at a@b.com") == "mail me at a@b.com"


async def test_render_empty_and_error_replies() -> None:
    (page,) = render(Reply())
    assert page.embeds[0].description == "…"
    (error,) = render(Reply(text="nope", error=True))
    assert error.embeds[0].colour != page.embeds[0].colour


# --------------------------------------------------------------------------- helpers


def test_slash_options_become_the_command_grammar() -> None:
    assert command_text("search", "Qwen", "en") == "search Qwen"
    assert command_text("search", "Qwen", "es") == "buscar Qwen"
    assert command_text("latest", "", "es") == "ultimas"
    subscribe = SPECS["subscribe"]
    picked = {
        "time": "08:30",
        "timezone": "Europe/Madrid",
        "topics": "Qwen  Nvidia",
        "weekdays": True,
        "min_sources": 2,
        "language": Choice(name="Español", value="es"),
        "skip_empty": True,
    }
    args = subscribe.args(picked)
    assert args == "08:30 Europe/Madrid Qwen Nvidia weekdays min=2 lang=es skip-empty"
    assert subscribe.args({}) == ""
    assert subscribe.args({"weekdays": False, "min_sources": None}) == ""
    # The sources menu's "list" (or no action) lists; add/remove carry their target.
    assert SPECS["sources"].args({}) == "list"
    assert SPECS["sources"].args({"action": Choice(name="add", value="add"), "target": "x"}) == (
        "add x"
    )


def test_autocomplete_matching(core: Core) -> None:
    assert match_timezones("")[0] == "UTC"
    assert match_timezones("madrid") == ["Europe/Madrid"]
    assert "America/Argentina/Buenos_Aires" in match_timezones("buenos")
    assert len(match_timezones("a")) == 25
    names = topic_names(core.gazetteer.entities.values())
    assert "Qwen" in names and all(" " not in n for n in names)
    assert match_topics("qw", names)[0] == "Qwen"
    assert match_topics("Qwen ", names)[0] != "Qwen Qwen"
    assert all(len(v) <= 100 for v in match_topics("x" * 95 + " a", names))


def test_invite_url_has_minimal_permissions_and_both_scopes() -> None:
    url = invite_url("1234567890")
    assert url.startswith("https://discord.com/oauth2/authorize?client_id=1234567890")
    assert "scope=bot+applications.commands" in url
    perms = discord.Permissions(int(url.rsplit("permissions=", 1)[1].split("&")[0]))
    assert perms.view_channel and perms.send_messages and perms.send_messages_in_threads
    assert perms.embed_links and perms.read_message_history and perms.use_application_commands
    assert not (perms.administrator or perms.manage_channels or perms.mention_everyone)
    assert perms.value == (
        Perm.VIEW_CHANNEL
        | Perm.SEND_MESSAGES
        | Perm.EMBED_LINKS
        | Perm.ATTACH_FILES
        | Perm.READ_MESSAGE_HISTORY
        | Perm.USE_APPLICATION_COMMANDS
        | Perm.SEND_MESSAGES_IN_THREADS
    )
    with pytest.raises(ValueError):
        invite_url("not-an-id")


@pytest.fixture(autouse=True)
def _no_leftover_endpoints() -> Iterator[None]:
    yield
    assert discord.http.Route.BASE == REAL_BASE
