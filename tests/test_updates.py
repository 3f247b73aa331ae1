"""Story updates in the digest's thread (issue 24): a story a channel got in a digest gains a
source or a figure, and the channel is told once, in that digest's thread. Also: a Slack
digest whose answer was lost is looked for in the channel, not posted twice (issue 25).

The real scheduler code (``DigestRunner``, ``UpdateRunner``) against the real SDKs: slack_sdk
on the fake Slack Web API, discord.py on the fake Discord. The story grows by a real ingest of
``tests/data/stories/qwen_billion_es.md`` (another outlet: one billion downloads, was 700
million), which joins the seeds' Qwen story. A whole ``ainews run`` is in
tests/test_updates_run.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import SEEDS, make_settings
from fakes.discord import CHANNEL_ID, GUILD_ID, FakeDiscord
from fakes.slack import CHANNEL_ID as SLACK_CHANNEL
from fakes.slack import TEAM_ID, FakeSlackAPI
from sqlalchemy import update
from sqlmodel import Session, col, select

from adapters.slack import SlackAdapter
from adapters.slack.digests import SlackDigestSender
from bot.core import Core
from bot.i18n import t
from bot.index.embedder import HashingEmbedder
from bot.ingest.files import iter_path
from bot.models import Article, Delivery, DigestStory, Figure, StoryUpdate, Subscription
from bot.ports import Sender
from bot.scheduler import DigestRunner, UpdateRunner
from bot.service import Context, Service
from bot.settings import Settings

STORIES = Path(__file__).parent / "data" / "stories"
QWEN_TITLE = "Alibaba se dispara en bolsa"
POST = "chat.postMessage"


def qwen_story(core: Core) -> int:
    with Session(core.engine) as session:
        article = session.exec(select(Article).where(col(Article.title).startswith(QWEN_TITLE)))
        story_id = article.one().story_id
    assert story_id is not None
    return story_id


def subscribe(core: Core, platform: str, workspace: str, channel: str, options: str) -> None:
    """``subscribe`` in the channel, due a minute ago (UTC), as a user types it."""
    due = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%H:%M")
    ctx = Context(platform=platform, workspace=workspace, channel=channel)
    reply = Service(core).handle_text(f"subscribe {due} UTC {options}".strip(), ctx)
    assert not reply.error, reply.text


def runners(
    core: Core, sender: Sender, worker: str = "w1", **kw: Any
) -> tuple[DigestRunner, UpdateRunner]:
    options: dict[str, Any] = {
        "core": core,
        "senders": {sender.platform: sender},
        "rates": {sender.platform: 1000.0},
        "retry_delays": (0.01,),
        "worker": worker,
        **kw,
    }
    return DigestRunner(**options), UpdateRunner(**options)


async def digest_then_the_story_grows(core: Core, sender: Sender, options: str) -> UpdateRunner:
    """A Slack channel subscribed with ``options`` gets its digest; then another outlet's
    article joins the Qwen story. The update runner that is to tell it."""
    subscribe(core, "slack", TEAM_ID, SLACK_CHANNEL, options)
    digests, updates = runners(core, sender)
    assert (await digests.run_due()).sent == 1
    ingest(core, "qwen_billion_es.md")
    return updates


def ingest(core: Core, name: str) -> None:
    report = core.ingester.ingest(iter_path(str(STORIES / name)))
    assert len(report.new) == 1, report


@pytest.fixture
def seeded(core: Core) -> Core:
    assert len(core.ingester.ingest(iter_path(str(SEEDS))).new) == 3
    return core


@pytest.fixture
def slack() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI() as fake:
        yield fake


@pytest.fixture
async def sender(seeded: Core, slack: FakeSlackAPI, settings: Settings) -> SlackDigestSender:
    """What ``ainews run`` posts digests with on Slack (``bot.app.digest_sender``)."""
    configured = make_settings(
        settings.data_dir,
        database_url=settings.database_url,
        slack_api_url=slack.base_url,
        slack_bot_token="xoxb-updates",
        slack_signing_secret="updates-secret",
    )
    return SlackDigestSender(SlackAdapter(service=Service(seeded), settings=configured))


def thread_posts(slack: FakeSlackAPI, ts: str) -> list[Any]:
    return [c for c in slack.calls(POST) if c.ok and c.params.get("thread_ts") == ts]


async def test_a_story_update_is_told_once_in_the_digest_thread_in_the_channel_language(
    seeded: Core, slack: FakeSlackAPI, sender: SlackDigestSender
) -> None:
    subscribe(seeded, "slack", TEAM_ID, SLACK_CHANNEL, "lang=es")
    digests, updates = runners(seeded, sender)
    assert (await digests.run_due()).sent == 1
    (digest,) = slack.calls(POST)
    assert QWEN_TITLE in str(digest.params["blocks"])
    ts = digest.response["ts"]
    story = qwen_story(seeded)
    with Session(seeded.engine) as session:
        delivery = session.exec(select(Delivery)).one()
        carried = session.exec(select(DigestStory.story_id)).all()
    assert delivery.thread == ts and story in carried
    assert (await updates.run_due()).due == 0, "nothing changed yet"

    ingest(seeded, "qwen_billion_es.md")
    assert qwen_story(seeded) == story, "the new article joins the Qwen story"
    report = await updates.run_due()
    assert (report.due, report.sent) == (1, 1)
    (reply,) = thread_posts(slack, ts)
    assert reply.params["channel"] == SLACK_CHANNEL
    text = reply.params["text"]
    assert text.startswith("Actualización: Qwen superó 1.000 millones de descargas")
    assert "(antes 700 millones)" in text and "1 fuente nueva (noticias.example)" in text
    assert "mil millones de descargas" in str(reply.params["blocks"])  # the new article's card
    assert len(slack.calls(POST)) == 2, "a reply in the thread, no new top-level post"

    # Again, from this process or from a restarted one (another worker name): nothing new.
    assert (await updates.run_due()).due == 0
    assert (await runners(seeded, sender, worker="w2", exclusive=True)[1].run_due()).due == 0
    with Session(seeded.engine) as session:
        (row,) = session.exec(select(StoryUpdate)).all()
    assert (row.status, row.story_id, row.subscription_id) == (
        "sent",
        story,
        delivery.subscription_id,
    )
    assert len(thread_posts(slack, ts)) == 1


async def test_a_send_taken_over_mid_flight_is_found_in_the_thread_not_posted_again(
    seeded: Core, slack: FakeSlackAPI, sender: SlackDigestSender
) -> None:
    """The sender died after Slack took the reply and before the ledger heard: the next
    leader finds the reply's key in the thread (``conversations.replies``)."""
    updates = await digest_then_the_story_grows(seeded, sender, "")
    assert (await updates.run_due()).sent == 1
    with Session(seeded.engine) as session:
        session.execute(
            update(StoryUpdate).values(
                status="sending",
                claimed_by="dead:1",
                claimed_at=datetime.now(UTC) - timedelta(minutes=1),
                started_at=datetime.now(UTC) - timedelta(seconds=30),
                sent_at=None,
            )
        )
        session.commit()
    report = await runners(seeded, sender, worker="w2", exclusive=True)[1].run_due()
    assert (report.claimed, report.confirmed, report.sent) == (1, 1, 1)
    assert len(slack.calls(POST)) == 2, "found posted: not posted again"
    assert (
        slack.calls("conversations.replies")[-1].params["ts"] == slack.calls(POST)[0].response["ts"]
    )


@pytest.mark.parametrize("retries", [1, 0])
async def test_a_digest_whose_answer_was_lost_is_looked_for_not_posted_twice(
    seeded: Core, slack: FakeSlackAPI, sender: SlackDigestSender, retries: int
) -> None:
    """Slack posted the digest but its answer was lost (HTTP 503): the retry looks in the
    channel and finds it. With no retry left the digest fails, and the next run finds it."""
    subscribe(seeded, "slack", TEAM_ID, SLACK_CHANNEL, "")
    slack.lose_answer_next(POST)
    report = await runners(seeded, sender, retry_delays=(0.01,) * retries)[0].run_due()
    if not retries:
        assert (report.sent, report.failed) == (0, 1)
        report = await runners(seeded, sender, worker="w2")[0].run_due()
    assert (report.claimed, report.confirmed, report.sent) == (1, 1, 1)
    assert len(slack.messages(SLACK_CHANNEL)) == 1, "posted once"
    assert len(slack.calls(POST)) == 1
    with Session(seeded.engine) as session:
        assert session.exec(select(Delivery.status)).all() == ["sent"]


async def test_a_digest_refused_with_a_5xx_before_posting_is_posted_on_the_retry(
    seeded: Core, slack: FakeSlackAPI, sender: SlackDigestSender
) -> None:
    subscribe(seeded, "slack", TEAM_ID, SLACK_CHANNEL, "")
    slack.fail_next(POST, "internal_error", status=500)
    report = await runners(seeded, sender)[0].run_due()
    assert (report.sent, report.confirmed) == (1, 0)
    assert len(slack.messages(SLACK_CHANNEL)) == 1
    assert [c.ok for c in slack.calls(POST)] == [False, True]


async def test_followups_no_and_quiet_days_post_nothing(
    seeded: Core, slack: FakeSlackAPI, sender: SlackDigestSender
) -> None:
    updates = await digest_then_the_story_grows(seeded, sender, "followups=no")
    assert (await updates.run_due()).due == 0, "turned off"
    ctx = Context(platform="slack", workspace=TEAM_ID, channel=SLACK_CHANNEL)
    shown = Service(seeded).handle_text("subscriptions", ctx)
    assert "updates: no" in str(shown.fields)

    # Back on, with weekdays only: nothing on a Saturday, told on the Monday.
    subscribe(seeded, "slack", TEAM_ID, SLACK_CHANNEL, "followups=yes weekdays")
    saturday = datetime(2026, 12, 5, 12, tzinfo=UTC)
    assert saturday.weekday() == 5
    clock = {"now": saturday}
    _, weekend = runners(seeded, sender, clock=lambda: clock["now"])
    with Session(seeded.engine) as session:  # the digest was sent that week
        session.execute(update(Delivery).values(sent_at=saturday - timedelta(days=1)))
        session.execute(update(Article).values(first_seen_at=saturday - timedelta(hours=1)))
        session.commit()
    assert (await weekend.run_due()).due == 0
    clock["now"] = saturday + timedelta(days=2)
    assert (await weekend.run_due()).sent == 1


async def test_two_replicas_racing_post_an_update_once(
    seeded: Core, slack: FakeSlackAPI, sender: SlackDigestSender, settings: Settings
) -> None:
    """Two processes (each its own engine) check at the same moment, neither the leader's
    exclusive takeover: the ledger's unique (subscription, change) lets one post."""
    await digest_then_the_story_grows(seeded, sender, "")
    other = Core.build(settings, embedder=HashingEmbedder())
    try:
        first = runners(seeded, sender, worker="a")[1]
        second = runners(other, sender, worker="b")[1]
        reports = await asyncio.gather(first.run_due(), second.run_due())
    finally:
        other.engine.dispose()
    assert sum(r.sent for r in reports) == 1 and sum(r.claimed for r in reports) == 1
    assert len(thread_posts(slack, slack.calls(POST)[0].response["ts"])) == 1


async def test_unsubscribe_after_a_digest_and_its_updates_works(
    seeded: Core, slack: FakeSlackAPI, sender: SlackDigestSender
) -> None:
    updates = await digest_then_the_story_grows(seeded, sender, "")
    await updates.run_due()
    ctx = Context(platform="slack", workspace=TEAM_ID, channel=SLACK_CHANNEL)
    reply = Service(seeded).handle_text("unsubscribe", ctx)
    assert not reply.error, reply.text
    with Session(seeded.engine) as session:
        assert session.exec(select(Subscription)).all() == []
        assert session.exec(select(StoryUpdate)).all() == []


# -------------------------------------------------------------------------------- Discord


@pytest.fixture
async def discord_fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(patch_discord_py=False) as server:
        yield server


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("where", ["channel", "thread", "forum"])
async def test_discord_updates_go_in_the_digest_thread_forum_post_or_as_a_reply(
    where: str, seeded: Core, discord_fake: FakeDiscord, tmp_path: Path
) -> None:
    from adapters.discord import DiscordAdapter

    fake = discord_fake
    channel = str(CHANNEL_ID)
    if where == "forum":
        channel = str(fake.add_channel("digests", type=15)["id"])
    subscribe(seeded, "discord", str(GUILD_ID), channel, "thread=yes" if where == "thread" else "")
    settings = make_settings(tmp_path, discord_token="fake-token", discord_api_url=fake.api_base)
    adapter = DiscordAdapter(
        service=Service(seeded), settings=settings, ready_timeout=5, guild_ready_timeout=0.05
    )
    await adapter.start()
    try:
        digests, updates = runners(seeded, adapter)
        assert (await digests.run_due()).sent == 1
        with Session(seeded.engine) as session:
            thread = session.exec(select(Delivery.thread)).one()
        assert thread is not None
        kind, _, ref = thread.partition(":")
        assert kind == ("message" if where == "channel" else "thread")
        before = len(fake.messages)
        ingest(seeded, "qwen_billion_es.md")
        assert (await updates.run_due()).sent == 1
        assert (await updates.run_due()).due == 0
    finally:
        await adapter.stop()
    (new,) = list(fake.messages.values())[before:]
    assert new["embeds"][0]["description"] == (
        "Update: Qwen passed 1 billion downloads (was 700 million), 1 new source (noticias.example)"
    )
    if where == "channel":
        assert new["channel_id"] == channel
        assert new["message_reference"]["message_id"] == ref
    else:
        assert new["channel_id"] == ref, "inside the digest's thread or forum post"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_discord_an_update_to_a_deleted_digest_is_not_posted_on_its_own(
    seeded: Core, discord_fake: FakeDiscord, tmp_path: Path
) -> None:
    from adapters.discord import DiscordAdapter

    fake = discord_fake
    subscribe(seeded, "discord", str(GUILD_ID), str(CHANNEL_ID), "")
    settings = make_settings(tmp_path, discord_token="fake-token", discord_api_url=fake.api_base)
    adapter = DiscordAdapter(
        service=Service(seeded), settings=settings, ready_timeout=5, guild_ready_timeout=0.05
    )
    await adapter.start()
    try:
        digests, updates = runners(seeded, adapter, retry_delays=())
        await digests.run_due()
        fake.messages.clear()  # someone deleted the digest
        ingest(seeded, "qwen_billion_es.md")
        report = await updates.run_due()
    finally:
        await adapter.stop()
    assert (report.sent, report.failed) == (0, 1)
    assert fake.messages == {}, "no update without its digest"


def test_a_claim_takes_only_the_pairs_asked_for(core: Core) -> None:
    """Two subscriptions and two changes: the failed row (1, "7:1") is neither pair asked
    for, though it matches both IN lists, so it is left as it is."""
    from bot import ledger

    for channel in ("C1", "C2"):
        subscribe(core, "slack", TEAM_ID, channel, "")
    with Session(core.engine) as session:
        subs = [s.id or 0 for s in session.exec(select(Subscription).order_by(Subscription.id))]
        session.add(Delivery(subscription_id=subs[0], local_date="2026-12-05", status="sent"))
        session.flush()
        columns = {"story_id": 7, "upto": 1, "delivery_id": 1}
        session.add(StoryUpdate(subscription_id=subs[0], change="7:1", status="failed", **columns))
        session.commit()
        now = datetime.now(UTC)
        wanted = [(subs[0], "7:2"), (subs[1], "7:1")]
        values = {pair: columns for pair in wanted}
        claimed = ledger.claim_many(
            session, wanted, now, "w", timedelta(seconds=15), book=ledger.UPDATES, values=values
        )
        session.commit()
        failed = session.exec(select(StoryUpdate).where(StoryUpdate.change == "7:1")).all()
    assert set(claimed) == set(wanted)
    assert [
        (r.subscription_id, r.status, r.attempts) for r in failed if r.subscription_id == subs[0]
    ] == [(subs[0], "failed", 1)]


def _fig(article: int, value: float, unit: str, subject: str | None = None) -> Figure:
    return Figure(article_id=article, text="", value=value, unit=unit, subject=subject, sentence="")


@pytest.mark.parametrize(
    ("before", "after", "lang", "told"),
    [
        # The same value in another language's words is no change; a bare % is nobody's.
        ([_fig(1, 7e8, "downloads", "Qwen")], [_fig(2, 7e8, "downloads")], "en", ""),
        ([_fig(1, 17, "%", "China")], [_fig(2, 21, "%")], "en", ""),
        (
            [_fig(1, 17, "%", "China"), _fig(1, 15.8, "%", "United States")],
            [_fig(2, 15.8, "%", "China"), _fig(2, 1e6, "users", "Qwen")],
            "es",
            "China bajó a 15,8 % (antes 17 %), cifra nueva: 1 millón de usuarios (Qwen)",
        ),
        (
            [_fig(1, 6.6e9, "usd", "OpenAI")],
            [_fig(2, 1e10, "usd", "OpenAI"), _fig(3, 1.2e10, "usd", "OpenAI")],
            "en",
            "OpenAI passed $12 billion (was $6.6 billion)",  # the newest article's value
        ),
    ],
)
def test_what_an_update_says_of_figures(
    before: list[Figure], after: list[Figure], lang: str, told: str
) -> None:
    from bot.updates import Change, _figure_changes, update_reply

    change = Change(
        Subscription(platform="slack", workspace="T", channel="C", lang=lang), 1, 3, 1, "ts"
    )
    change.figures = _figure_changes(before, after)
    if not told:
        assert change.figures == []
        return
    assert update_reply(change, {}).text == t("update", lang, changes=told)
