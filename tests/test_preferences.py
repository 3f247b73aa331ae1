"""Digests that learn from votes (bot/preferences.py): a channel's 👍/👎 on digest stories
move its ranking, a little for one vote, more for several, less as they age; a channel
without votes gets exactly the digest it got before. Both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.core import Core
from bot.digest import Digest, build_digest
from bot.feedback import Feedback, cast, story_target
from bot.ingest.files import Item
from bot.ingest.types import RawArticle
from bot.models import Article, Subscription
from bot.preferences import CAP, for_channel, load
from bot.service import Context, Service

NOW = datetime(2026, 6, 10, 7, 0, tzinfo=UTC)  # 09:00 in Madrid
MARKETS = "MarketWire"

#: (title, body, source, hours before NOW). Yesterday's stock stories are the ones voted on.
YESTERDAY = [
    ("Nvidia shares fall after new export curbs", "Nvidia stock fell 4% on Wall Street.", 30),
    ("Chip stocks slide as investors sell", "Shares of AMD and Nvidia slid on Nasdaq.", 29),
    ("Alibaba stock jumps as cloud sales grow", "Alibaba shares rose 6% in Hong Kong.", 28),
]
TODAY = [
    ("Microsoft shares climb to a record", "Microsoft stock rose on Wall Street.", MARKETS, 1),
    ("Tech stocks rally on the Nasdaq", "Shares of Nvidia and Meta led the rally.", MARKETS, 2),
    ("Mistral releases a new open model", "Mistral said the model is open.", "Mistral blog", 3),
    ("Qwen adds a coding assistant", "Alibaba said Qwen now writes code.", "Qwen blog", 4),
    ("DeepSeek publishes a reasoning paper", "DeepSeek described its method.", "arXiv", 5),
    ("Anthropic opens an office in Tokyo", "Anthropic hires in Japan.", "Anthropic", 6),
    ("Meta trains a new vision model", "Meta said the model sees better.", "Meta AI", 7),
]
STOCK = {title for title, *_ in YESTERDAY} | {t for t, _, s, _ in TODAY if s == MARKETS}


def add(core: Core, title: str, body: str, source: str, hours: float) -> int:
    item = RawArticle(
        title=title, body=f"{title}. {body}", source_name=source, url=f"https://n.example/{title}"
    )
    assert core.ingester.ingest([Item(title, item)]).new
    with Session(core.engine) as session:
        session.execute(
            update(Article)
            .where(col(Article.title) == title)
            .values(first_seen_at=NOW - timedelta(hours=hours))
        )
        session.commit()
        article = session.execute(select(Article).where(Article.title == title)).scalar_one()
        assert article.id is not None
        return article.id


@pytest.fixture
def news(core: Core) -> dict[str, str]:
    """Every title's vote target."""
    targets = {}
    for title, body, hours in YESTERDAY:
        aid = add(core, title, body, MARKETS, hours)
        with Session(core.engine) as session:
            story = session.get(Article, aid)
            assert story is not None
            targets[title] = story_target(story.story_id, aid)
    for title, body, source, hours in TODAY:
        add(core, title, body, source, hours)
    return targets


def digest(core: Core, channel: str, now: datetime = NOW, **kw: object) -> Digest:
    sub = Subscription(platform="slack", workspace="T1", channel=channel, lang="en")
    with Session(core.engine) as session:
        prefs = for_channel(session, "slack", channel, now, core.lexicon, 14.0)
        return build_digest(session, sub, now, preferences=prefs, **kw)  # type: ignore[arg-type]


def ranked(built: Digest) -> list[tuple[str, float]]:
    return [(s.headline, s.score) for s in built.stories]


def vote(core: Core, target: str, value: int, *, user: str = "U1", days_ago: float = 0) -> None:
    when = NOW - timedelta(hours=2, days=days_ago)
    Feedback(core.engine).record("slack", "T1", "C1", user, target, value, at=when)


def stock_places(built: Digest) -> list[int]:
    return [n for n, story in enumerate(built.stories) if story.headline in STOCK]


def test_a_channel_without_votes_gets_the_very_same_digest(
    core: Core, news: dict[str, str]
) -> None:
    sub = Subscription(platform="slack", workspace="T1", channel="C2", lang="en")
    with Session(core.engine) as session:
        before = build_digest(session, sub, NOW)  # no preferences at all: today's code path
    for title, *_ in YESTERDAY:  # another channel's votes change nothing here
        vote(core, news[title], -1)
        vote(core, news[title], -1, user="U2")
    after = digest(core, "C2")
    assert ranked(after) == ranked(before) and after.as_json() == before.as_json()
    assert stock_places(before) == [0, 1], "stock stories lead when nobody has voted"


def test_one_down_vote_does_not_change_the_digest(core: Core, news: dict[str, str]) -> None:
    before = ranked(digest(core, "C1"))
    vote(core, news[YESTERDAY[0][0]], -1)
    with Session(core.engine) as session:
        learned = for_channel(session, "slack", "C1", NOW, core.lexicon, 14.0)
    assert learned.weights and not learned, "recorded, but one vote moves nothing"
    assert ranked(digest(core, "C1")) == before


def test_many_readers_on_one_story_still_say_one_thing(core: Core, news: dict[str, str]) -> None:
    before = ranked(digest(core, "C1"))
    for user in ("U1", "U2", "U3", "U4"):
        vote(core, news[YESTERDAY[1][0]], -1, user=user)
    assert ranked(digest(core, "C1")) == before


def test_several_down_votes_on_stock_stories_lower_them(core: Core, news: dict[str, str]) -> None:
    before = digest(core, "C1")
    for title, *_ in YESTERDAY:  # one reader, three stock stories
        vote(core, news[title], -1)
    after = digest(core, "C1")
    assert stock_places(before) == [0, 1] and stock_places(after) == []
    everything = ranked(digest(core, "C9", max_stories=10))  # a channel without votes
    assert [s.headline for s in after.stories] == [h for h, _ in everything if h not in STOCK][:5]
    # Every other story keeps its score: only the disliked features moved.
    kept = dict(ranked(before))
    assert all(kept[h] == score for h, score in ranked(after) if h in kept)


def test_a_fan_out_of_many_channels_reads_the_same_weights(
    core: Core, news: dict[str, str]
) -> None:
    for title, *_ in YESTERDAY:
        vote(core, news[title], -1)
    channels = [("slack", f"X{n}") for n in range(600)] + [("slack", "C1"), ("discord", "C1")]
    with Session(core.engine) as session:
        many = load(session, channels, NOW, core.lexicon, 14.0)
        one = for_channel(session, "slack", "C1", NOW, core.lexicon, 14.0)
    assert many[("slack", "C1")].key == one.key and one
    assert not many[("discord", "C1")] and not many[("slack", "X1")]


def test_votes_count_less_as_weeks_pass(core: Core, news: dict[str, str]) -> None:
    for title, *_ in YESTERDAY:
        for user in ("U1", "U2"):
            vote(core, news[title], -1, user=user)
    headline = TODAY[0][0]

    def penalty(now: datetime, half_life: float = 14.0) -> float:
        with Session(core.engine) as session:
            learned = for_channel(session, "slack", "C1", now, core.lexicon, half_life)
        return learned.adjustment([headline], [], [MARKETS])

    fresh, two_weeks, eight_weeks = (penalty(NOW + timedelta(weeks=w)) for w in (0, 2, 8))
    assert fresh < two_weeks < 0 == eight_weeks
    assert fresh >= -CAP
    assert penalty(NOW + timedelta(weeks=8), half_life=56.0) == pytest.approx(two_weeks, rel=0.01)
    # Eight weeks on, the same votes no longer move the digest.
    later = NOW + timedelta(weeks=8)
    assert ranked(digest(core, "C1", later, since=NOW - timedelta(days=1))) == ranked(
        digest(core, "C9", later, since=NOW - timedelta(days=1))
    )


async def test_the_scheduler_gives_each_channel_its_own_ranking(
    core: Core, news: dict[str, str]
) -> None:
    from fakeplatform import FakeSender

    from bot.scheduler import DigestRunner

    with Session(core.engine) as session:
        for channel in ("C1", "C2", "C3"):
            session.add(
                Subscription(
                    platform="slack",
                    workspace="T1",
                    channel=channel,
                    local_time="09:00",
                    timezone="Europe/Madrid",
                    lang="en",
                )
            )
        session.commit()
    for title, *_ in YESTERDAY:
        vote(core, news[title], -1)
    sender = FakeSender()
    runner = DigestRunner(core=core, senders={"slack": sender}, clock=lambda: NOW)
    report = await runner.run_due()
    assert report.sent == 3 and report.distinct_digests == 2  # C2 and C3 share one build
    silent = [card.title for card in sender.messages["C2"][0].cards]
    assert silent == [h for h, _ in ranked(digest(core, "C9"))]  # as with no votes anywhere
    assert [card.title for card in sender.messages["C3"][0].cards] == silent
    voted = [card.title for card in sender.messages["C1"][0].cards]
    assert voted != silent and not STOCK & set(voted)


def test_subscriptions_say_what_the_votes_changed_in_both_languages(
    core: Core, news: dict[str, str]
) -> None:
    service = Service(core)
    for channel in ("C1", "C2"):
        ctx = Context(platform="slack", workspace="T1", channel=channel, user="U1")
        assert not service.handle_text("subscribe 09:00 Europe/Madrid", ctx).error
    place = ("slack", "T1", "C1")
    for title, *_ in YESTERDAY:  # clicks on the digest's buttons, as the adapters pass them
        token = service.feedback.sign(*place, news[title])
        assert cast(service.feedback, [place], "U1", token, -1, "en")[0] is not None
    ctx = Context(platform="slack", workspace="T1", channel="C2", user="U1")
    english = dict(service.handle_text("subscriptions", ctx).fields)
    spanish = dict(service.handle_text("suscripciones", ctx).fields)
    # One line under the subscription: its two strongest learned preferences.
    line = english["#C1"].splitlines()[1]
    assert "fewer stories on shares: 3 👎" in line and line.count(" · ") == 1, line
    linea = spanish["#C1"].splitlines()[1]
    assert "menos historias sobre acciones: 3 👎" in linea and linea.count(" · ") == 1, linea
    assert "👎" not in english["#C2"] and "\n" not in english["#C2"], "no votes: no line"
