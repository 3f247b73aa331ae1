"""Digests that learn from votes: three weeks of real news, two channels, one of them voting.

``python -m bench --only votes`` (or ``python -m bench.votes``).

The corpus, over the 21 days from Monday 2026-04-06 (first seen when published):

- every item of the 34 AI feeds (``feeds/ai``) published in the 84 days to 2026-04-27,
  their dates compressed 4:1 onto the three weeks (the feeds carry about 4 items a day, too
  few to fill a digest of 5 with a choice);
- Reuters-21578 newswire of the 21 days from Monday 1987-03-02, moved to the same weekdays
  (time of day kept): per day its first 6 stock stories and its first 3 other stories
  (bodies over 200 characters), in time order, all from the source "Reuters".

**A stock story** is one whose headline matches ``STOCK_RULE`` (stock/stocks, shares
rose/fell/..., share price, Wall Street, Nasdaq, NYSE, Dow Jones, S&P, equities). The rule
belongs to the simulated readers only; the ranking never sees it, only their votes.

Two Slack channels subscribe at 09:00 UTC with the same settings. Each day the real
``DigestRunner`` builds and sends their digests; then each of three readers of ``#markets-
haters`` 👎 each stock story in that day's digest with probability 0.5 (fixed seed), through
the real vote storage, half an hour after the digest. ``#silent`` never votes. The whole
three weeks run twice from the same database: without any vote ("before") and with the
readers voting ("after"). The silent channel's 21 digests must be identical in both runs.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import shutil
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import update
from sqlmodel import Session

from bench.common import DATASETS, Context, Result, log, print_result
from bench.corpus import bench_settings, drop_scratch, scratch_dir, vector_cache
from bench.vcache import CachingEmbedder
from bot.core import Core
from bot.digest import build_digest
from bot.feedback import Feedback
from bot.ingest.files import Item
from bot.ingest.types import RawArticle
from bot.models import Article, Subscription
from bot.preferences import for_channel
from bot.reply import Reply
from bot.scheduler import DigestRunner

NAME = "votes"
START = datetime(2026, 4, 6, tzinfo=UTC)  # a Monday
REUTERS_START = datetime(1987, 3, 2, tzinfo=UTC)  # a Monday too
AI_PER_DAY = 4  # days of AI feeds per simulated day (about 4 items a day each)
DAYS = 21
STOCK_PER_DAY, OTHER_PER_DAY = 6, 3
READERS, P_VOTE, SEED = 3, 0.5, 7
VOTING, SILENT = "markets-haters", "silent"
STOCK_RULE = re.compile(
    r"\b(stocks?|share prices?|wall street|nasdaq|nyse|dow jones|s&p|equities|"
    r"shares (?:rose|fell|up|down|jump|slid|drop|climb|gain|plunge|surge|tumble|rall)\w*)\b",
    re.IGNORECASE,
)


def is_stock(headline: str) -> bool:
    return STOCK_RULE.search(headline) is not None


def corpus() -> list[Item]:
    """The three weeks' articles, each with its simulated ``published_at``."""
    from bot.ingest.feeds import parse_feed

    ai_start = START - timedelta(days=DAYS * (AI_PER_DAY - 1))
    items: list[Item] = []
    for path in sorted((DATASETS / "feeds/ai").glob("*.xml")):
        feed = parse_feed(path.read_bytes(), url=f"http://feeds.example/{path.name}")
        for raw in feed.items:
            if raw.published_at and ai_start <= raw.published_at < START + timedelta(days=DAYS):
                raw.published_at = START + (raw.published_at - ai_start) / AI_PER_DAY
                items.append(Item(f"{path.name}:{raw.guid}", raw))
    taken: Counter[tuple[int, bool]] = Counter()
    with (DATASETS / "reuters21578.jsonl").open(encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    for row in sorted((r for r in rows if r["date"] and r["title"]), key=lambda r: r["date"]):
        when = datetime.fromisoformat(row["date"]).replace(tzinfo=UTC)
        day = (when - REUTERS_START).days
        stock = is_stock(row["title"])
        if not 0 <= day < DAYS or len(row["body"] or "") <= 200:
            continue
        if taken[(day, stock)] >= (STOCK_PER_DAY if stock else OTHER_PER_DAY):
            continue
        taken[(day, stock)] += 1
        raw = RawArticle(
            title=row["title"],
            body=row["body"],
            url=row["url"] or f"https://reuters.example/{row['id']}",
            published_at=START + (when - REUTERS_START),
            lang="en",
            source_name="Reuters",
        )
        items.append(Item(row["id"], raw))
    return sorted(items, key=lambda item: getattr(item.result, "published_at", START))


class Recorder:
    """A platform that accepts every digest and keeps it."""

    platform = "slack"

    def __init__(self) -> None:
        self.sent: dict[str, list[Reply]] = {VOTING: [], SILENT: []}

    async def send(
        self, workspace: str, channel: str, reply: Reply, *, idempotency_key: str | None = None
    ) -> None:
        self.sent[channel].append(reply)


def build(folder: Path, ctx: Context) -> Path:
    """The corpus ingested, first seen at its simulated time, and two subscriptions."""
    path = folder / "votes.db"
    real = ctx.embedder()
    core = Core.build_store(
        bench_settings(path), embedder=CachingEmbedder(real, vector_cache(real.name))
    )
    items = corpus()
    report = core.ingester.ingest(items)
    log(f"votes: {len(report.new)} articles stored ({len(report.duplicates)} duplicates)")
    with Session(core.engine) as session:
        session.execute(update(Article).values(first_seen_at=Article.published_at))
        for channel in (VOTING, SILENT):
            session.add(
                Subscription(
                    platform="slack",
                    workspace="T1",
                    channel=channel,
                    local_time="09:00",
                    timezone="UTC",
                    lang="en",
                    created_at=START,
                )
            )
        session.commit()
    core.engine.dispose()
    return path


@dataclass
class Run:
    sent: dict[str, list[Reply]]
    explained: list[str] = field(default_factory=list)  # what `subscriptions` says, per day
    pool: list[tuple[int, int]] = field(default_factory=list)  # (stories, stock) to pick from
    votes: int = 0


async def simulate(db: Path, *, voting: bool) -> Run:
    """A 09:00 run a day on a copy of ``db``; the readers vote when ``voting``."""
    copy = db.with_name(f"{'after' if voting else 'before'}.db")
    shutil.copy(db, copy)
    from bot.index.embedder import HashingEmbedder

    core = Core.build_store(bench_settings(copy), embedder=HashingEmbedder())  # nothing to embed
    recorder = Recorder()
    feedback = Feedback(core.engine)
    rng = random.Random(SEED)
    run = Run(recorder.sent)
    today = [START]
    runner = DigestRunner(core=core, senders={"slack": recorder}, clock=lambda: today[0])
    for day in range(1, DAYS + 1):
        now = today[0] = START + timedelta(days=day, hours=9)
        report = await runner.run_due()
        assert report.sent == 2, report
        digest = recorder.sent[VOTING][-1]
        for card in digest.cards if voting else []:
            if card.target and is_stock(card.title):
                for reader in range(READERS):
                    if rng.random() < P_VOTE:
                        at = now + timedelta(minutes=30)
                        feedback.record("slack", "T1", VOTING, f"U{reader}", card.target, -1, at=at)
                        run.votes += 1
        with Session(core.engine) as session:
            learned = for_channel(
                session, "slack", VOTING, now, core.lexicon, core.settings.vote_half_life_days
            )
            everything = build_digest(
                session,
                Subscription(platform="-", workspace="-", channel="-", timezone="UTC"),
                now,
                max_stories=999,
            )
        run.explained.append(learned.explain("en"))
        run.pool.append(
            (len(everything.stories), sum(is_stock(s.headline) for s in everything.stories))
        )
    core.engine.dispose()
    return run


def counts(replies: list[Reply]) -> list[tuple[int, int, int]]:
    """Per digest: (stories, stock stories, other Reuters stories)."""
    out = []
    for reply in replies:
        stock = sum(is_stock(c.title) for c in reply.cards)
        reuters = sum(c.source == "Reuters" and not is_stock(c.title) for c in reply.cards)
        out.append((len(reply.cards), stock, reuters))
    return out


def run(ctx: Context) -> Result:
    result = Result(NAME)
    folder = scratch_dir("votes-")
    try:
        db = build(folder, ctx)
        before = asyncio.run(simulate(db, voting=False))
        after = asyncio.run(simulate(db, voting=True))
    finally:
        drop_scratch(folder)
    v0, v1 = counts(before.sent[VOTING]), counts(after.sent[VOTING])
    s0, s1 = counts(before.sent[SILENT]), counts(after.sent[SILENT])
    identical = before.sent[SILENT] == after.sent[SILENT]  # every card, field by field
    rows = [
        [
            (START + timedelta(days=day + 1)).date().isoformat(),
            f"{before.pool[day][0]} ({before.pool[day][1]})",
            v0[day][1],
            v1[day][1],
            s0[day][1],
            s1[day][1],
            f"{v0[day][2]} → {v1[day][2]}",
            after.explained[day] or "-",
        ]
        for day in range(DAYS)
    ]
    result.table(
        f"stock stories per digest (of 5), #{VOTING} (3 readers 👎 stock stories) and #{SILENT}",
        [
            "digest 09:00 UTC",
            "stories to pick from (stock)",
            f"#{VOTING} before",
            "after",
            f"#{SILENT} before",
            "after",
            f"other Reuters in #{VOTING}",
            f"`subscriptions` on #{VOTING}",
        ],
        rows,
    )

    def mean(values: list[tuple[int, int, int]], week: int) -> float:
        part = values[week * 7 : week * 7 + 7]
        return round(sum(v[1] for v in part) / len(part), 2)

    weeks = DAYS // 7
    result.table(
        "stock stories per digest, mean of each week",
        ["week", f"#{VOTING} before", "after", f"#{SILENT} before", "after"],
        [
            [f"week {w + 1}", mean(v0, w), mean(v1, w), mean(s0, w), mean(s1, w)]
            for w in range(weeks)
        ],
    )
    result.figures.update(
        {"votes": after.votes, "voting_before": v0, "voting_after": v1, "silent": s0}
    )
    result.check(f"silent channel: the same {DAYS} digests", identical, True, "==")
    result.check(
        "voting channel: digests with more stock stories than before",
        sum(after[1] > before[1] for before, after in zip(v0, v1, strict=True)),
        0,
    )
    result.check(
        f"voting channel, week {weeks}: stock stories per digest after / before",
        round(mean(v1, weeks - 1) / max(mean(v0, weeks - 1), 0.01), 2),
        0.5,
    )
    result.notes.append(f"{after.votes} 👎 cast in all by #{VOTING}'s readers")
    assert identical, "the silent channel's digests changed with another channel's votes"
    return result


if __name__ == "__main__":
    print_result(run(Context(mode="quick")))
