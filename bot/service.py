"""Command handling: a ``Command`` plus its ``Context`` becomes a ``Reply``. No platform code.

Synchronous by design (the core embeds on the CPU); async adapters call it in a
worker thread so their event loops stay free.
"""

from __future__ import annotations

import difflib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from bot import ledger
from bot.answers import answer
from bot.commands import VERBS, Command, parse
from bot.conversation import Conversations, Followup, no_more_reply, sources_reply
from bot.core import Core
from bot.digest import Digest, build_digest
from bot.figures import spanish_names
from bot.i18n import UserError, format_date, t
from bot.index.hybrid import QueryError, SearchHit
from bot.ingest.types import public_reason
from bot.metrics import Metrics
from bot.models import Article, ArticleEntity, ChannelSettings, Entity, Source, Story, Subscription
from bot.reply import Button, Card, Reply
from bot.subscriptions import parse_subscribe
from bot.text import clean_text

#: Ids are 32-bit integers in the database: a larger number names nothing.
MAX_ID = 2**31 - 1


@dataclass(frozen=True, slots=True)
class Context:
    """Who is asking and where. Adapters fill it; ``can_manage`` is their permission check."""

    platform: str = "console"
    workspace: str = "local"
    channel: str = "console"
    user: str = "user"
    can_manage: bool = True
    refusal: str = "needs_permission"  # i18n key explaining why when can_manage is False
    # Which conversation a message belongs to, for follow-ups (see bot.conversation);
    # None: no memory. Console "console", Slack "slack:team:channel:thread", Discord
    # "discord:channel".
    conversation: str | None = None


def card(hit: SearchHit | Article, *, snippet: str = "", also: int = 0) -> Card:
    if isinstance(hit, SearchHit):
        return Card(
            hit.article_id,
            hit.title,
            hit.url,
            hit.source,
            hit.published_at,
            hit.snippet,
            hit.lang,
            hit.story_id,
            also,
        )
    when = hit.published_at or hit.first_seen_at
    return Card(
        hit.id or 0,
        hit.title,
        hit.url,
        hit.source_name,
        when,
        snippet,
        hit.lang,
        hit.story_id,
        also,
    )


class Service:
    """The one entry point adapters call."""

    def __init__(
        self, core: Core, *, clock: type[datetime] = datetime, metrics: Metrics | None = None
    ) -> None:
        self.core = core
        self._clock = clock
        self.metrics = metrics
        # Set by the composition root so a subscription change re-derives scheduler jobs now.
        self.on_subscriptions_changed: Callable[[], None] | None = None
        # Each conversation's last question, for follow-ups ("and Meta?", "source?", "more").
        self.conversations = Conversations(core.gazetteer)

    def _changed(self) -> None:
        if self.on_subscriptions_changed is not None:
            self.on_subscriptions_changed()

    def now(self) -> datetime:
        return self._clock.now(UTC)

    # -- entry points -------------------------------------------------------------------------

    def handle_text(self, text: str, ctx: Context | None = None) -> Reply:
        ctx = ctx or Context()
        text = clean_text(text)  # no NUL or lone surrogate reaches a query, a row or a reply
        # A follow-up of the conversation's live last question comes before the grammar.
        followup = self.conversations.rewrite(ctx.conversation, text)
        command = followup.command if followup else parse(text)
        started = time.perf_counter()
        reply = self._followup(followup, ctx) if followup else self.handle(command, ctx)
        self.conversations.remember(ctx.conversation, command, reply, followup)
        if self.metrics is not None:
            self.metrics.commands.labels(command.verb, "error" if reply.error else "ok").inc()
            self.metrics.latency.labels(command.verb).observe(time.perf_counter() - started)
        return reply

    def handle(
        self, command: Command, ctx: Context, *, handler: Callable[..., Reply] | None = None
    ) -> Reply:
        try:
            lang = self._channel_lang(ctx) or command.lang
        except OperationalError:
            return Reply(
                text=t("database_unavailable", command.lang), lang=command.lang, error=True
            )
        handler = handler or getattr(self, f"_cmd_{command.verb}", None)
        if handler is None:
            return Reply(text=t("help", lang), lang=lang)
        try:
            reply: Reply = handler(command.args.strip(), lang, ctx)
            return reply
        except UserError as exc:
            return Reply(text=exc.message(lang), lang=lang, error=True)
        except OperationalError:
            return Reply(text=t("database_unavailable", lang), lang=lang, error=True)

    def _followup(self, followup: Followup, ctx: Context) -> Reply:
        """A follow-up's reply: the sources shown before, or new results only for "more"."""
        command = followup.command
        if followup.kind == "sources":
            try:
                lang = self._channel_lang(ctx) or command.lang
            except OperationalError:
                lang = command.lang
            return sources_reply(followup, lang)
        if followup.kind == "more" and command.verb == "search":
            limit = len(followup.turn.shown) + 5
            reply = self.handle(command, ctx, handler=partial(self._cmd_search, limit=limit))
        else:
            reply = self.handle(command, ctx)
        if followup.kind == "more" and command.verb in {"search", "latest"} and not reply.error:
            reply.cards = [c for c in reply.cards if c.article_id not in followup.turn.shown]
            if not reply.cards:
                return no_more_reply(followup, reply.lang)
        return reply

    # -- commands -----------------------------------------------------------------------------

    def _cmd_empty(self, args: str, lang: str, ctx: Context) -> Reply:
        return Reply(text=t("empty_command", lang), lang=lang, ephemeral=True)

    def _cmd_help(self, args: str, lang: str, ctx: Context) -> Reply:
        return Reply(text=t("help", lang), lang=lang, ephemeral=True)

    def _cmd_search(self, args: str, lang: str, ctx: Context, *, limit: int = 5) -> Reply:
        hits = self.core.searcher.search(args, limit=limit * 2)
        if not hits:
            return Reply(text=t("no_results", lang, query=args), lang=lang, ephemeral=True)
        cards = self._one_per_story(hits, limit)
        return Reply(
            text=t("search_header", lang, query=args),
            lang=lang,
            cards=cards,
            ephemeral=True,
            buttons=[Button(t("btn_share", lang), "share", args)],
        )

    def _cmd_ask(self, args: str, lang: str, ctx: Context) -> Reply:
        head = args.split(" ", 1)[0]
        if " " not in args and len(head) > 2 and head.isalpha():
            close = difflib.get_close_matches(head.lower(), list(VERBS), n=1, cutoff=0.75)
            if close:
                return Reply(
                    text=t("unknown_verb", lang, verb=head, suggestion=close[0]),
                    lang=lang,
                    ephemeral=True,
                    error=True,
                )
        result = answer(self.core, args, lang)
        cards = []
        seen: set[int] = set()
        for citation in result.citations:
            if citation.article_id in seen:
                continue
            seen.add(citation.article_id)
            cards.append(
                Card(
                    citation.article_id,
                    f"[{citation.n}] {citation.title}",
                    citation.url,
                    citation.source,
                    citation.published_at,
                    "",
                    citation.lang,
                )
            )
        buttons = []
        if cards:
            with Session(self.core.engine) as session:
                first = session.get(Article, cards[0].article_id)
            if first and first.story_id:
                buttons.append(Button(t("btn_more", lang), "more_like_this", str(first.story_id)))
        return Reply(
            text=result.text, lang=lang, cards=cards, buttons=buttons, error=not result.found
        )

    def _cmd_latest(self, args: str, lang: str, ctx: Context) -> Reply:
        """``latest [n] [topic]``: the newest stories, one card each; with a topic, the newest
        stories whose articles name it."""
        from bot.commands import LATEST_MAX, latest_parts
        from bot.digest import _matches_topics  # the digest's topic rule, not a second one
        from bot.text import STOPWORDS, fold

        count, topic = latest_parts(args)
        n = _int_arg(count, default=5, low=1, high=LATEST_MAX, code="invalid_count")
        when = func.coalesce(Article.published_at, Article.first_seen_at)
        with Session(self.core.engine) as session:
            if not topic:
                rows = (
                    session.execute(select(Article).order_by(when.desc()).limit(n * 3))
                    .scalars()
                    .all()
                )
                cards = self._story_cards(session, rows, n)
                if not cards:
                    return Reply(text=t("no_articles", lang), lang=lang)
                return Reply(text=t("latest_header", lang, n=len(cards)), lang=lang, cards=cards)
            # Candidates: what the hybrid search finds for the topic, plus the newest articles
            # (by relevance alone, today's mention of a common name can rank below old ones).
            # Search also returns near neighbours that never name the topic, so an article
            # counts only when it names the topic, an alias of it, or all its words.
            recent = session.execute(select(Article.id).order_by(when.desc()).limit(300))
            ids = list(dict.fromkeys(recent.scalars().all()))
            if not ids:
                return Reply(text=t("no_articles", lang), lang=lang)
            found = self.core.searcher.search(topic, limit=50)
            ids = list(dict.fromkeys([*(hit.article_id for hit in found), *ids]))
            articles = (
                session.execute(select(Article).where(col(Article.id).in_(ids))).scalars().all()
            )
            names: dict[int, set[str]] = {}
            for aid, name in session.execute(
                select(ArticleEntity.article_id, Entity.name)
                .join(Entity, col(Entity.id) == col(ArticleEntity.entity_id))
                .where(col(ArticleEntity.article_id).in_(ids))
            ):
                names.setdefault(aid, set()).add(name)
            # The topic itself, or each of its words, in any of the forms search expands it to
            # (entity aliases, the Spanish/English lexicon): "Chinese developers" finds
            # "desarrolladores chinos". A multi-word topic's own variants would include each
            # word's ("open source models" -> "modelos"), so only a known name's aliases count.
            variants = self.core.searcher.expander.variants
            gazetteer = self.core.gazetteer
            phrase = " ".join(fold(topic).split())
            words = [w for w in phrase.split() if w not in STOPWORDS["es"] | STOPWORDS["en"]]
            whole = [phrase]
            if len(phrase.split()) == 1:
                whole += [fold(v) for v in variants(topic)]
            for name in gazetteer.find(topic):
                aliases = [fold(a) for a in gazetteer.aliases(name)]
                whole += aliases if phrase in aliases else []
            each = [[w, *(fold(v) for v in variants(w))] for w in words]

            def about(article: Article) -> bool:
                known = names.get(article.id or 0, set())
                if _matches_topics(article, known, whole):
                    return True
                return len(each) > 1 and all(_matches_topics(article, known, f) for f in each)

            def newest(article: Article) -> datetime:
                at = article.published_at or article.first_seen_at
                return at if at.tzinfo else at.replace(tzinfo=UTC)

            rows = sorted(filter(about, articles), key=newest, reverse=True)
            cards = self._story_cards(session, rows, n)
        if not cards:
            return Reply(text=t("latest_topic_empty", lang, topic=topic), lang=lang)
        return Reply(
            text=t("latest_topic_header", lang, n=len(cards), topic=topic), lang=lang, cards=cards
        )

    def _cmd_trending(self, args: str, lang: str, ctx: Context) -> Reply:
        days = _int_arg(args, default=7, low=1, high=90, code="invalid_days")
        rows = trending(self.core, days, self.now())
        if not rows:
            return Reply(text=t("trending_empty", lang, days=days), lang=lang)
        fields = [
            (name, t("trending_row", lang, now=now, before=before)) for name, now, before in rows
        ]
        return Reply(text=t("trending_header", lang, days=days), lang=lang, fields=fields)

    def _cmd_story(self, args: str, lang: str, ctx: Context) -> Reply:
        ref = args.strip().lstrip("#")
        # isdecimal, not isdigit: "²" is a digit int() refuses; past MAX_ID no story exists.
        if not ref.isdecimal():
            return Reply(text=t("story_usage", lang), lang=lang, error=True, ephemeral=True)
        if len(ref) > 10 or int(ref) > MAX_ID:
            return Reply(text=t("story_unknown", lang, id=ref[:40]), lang=lang, error=True)
        story_id = int(ref)
        with Session(self.core.engine) as session:
            story = session.get(Story, story_id)
            if story is None:
                return Reply(text=t("story_unknown", lang, id=story_id), lang=lang, error=True)
            articles = (
                session.execute(
                    select(Article)
                    .where(Article.story_id == story_id)
                    .order_by(col(Article.first_seen_at))
                )
                .scalars()
                .all()
            )
            cards = [card(a) for a in articles]
            related = self._related(session, articles, exclude={story_id})
        reply = Reply(
            text=t("story_header", lang, title=story.title, n=len(cards)),
            lang=lang,
            cards=cards + related,
        )
        return reply

    def _cmd_digest(self, args: str, lang: str, ctx: Context) -> Reply:
        sub = self._subscription(ctx) or Subscription(
            platform=ctx.platform, workspace=ctx.workspace, channel=ctx.channel, lang=lang
        )
        with Session(self.core.engine) as session:
            since = ledger.last_until(session, sub.id) if sub.id else None
            digest = build_digest(
                session,
                sub,
                self.now(),
                since=since,
                max_stories=self.core.settings.digest_max_stories,
                names_es=spanish_names(self.core.settings.gazetteer_path),
            )
        return digest_reply(digest)

    def _cmd_subscribe(self, args: str, lang: str, ctx: Context) -> Reply:
        if not ctx.can_manage:
            return Reply(text=t(ctx.refusal, lang), lang=lang, error=True, ephemeral=True)
        request = parse_subscribe(args)
        with Session(self.core.engine) as session:
            sub = session.execute(
                select(Subscription).where(*self._where(ctx))
            ).scalar_one_or_none()
            if sub is None:
                sub = Subscription(
                    platform=ctx.platform,
                    workspace=ctx.workspace,
                    channel=ctx.channel,
                    lang=lang,
                    created_by=ctx.user,
                )
            sub.local_time = request.local_time or sub.local_time
            sub.timezone = request.timezone or sub.timezone
            sub.lang = request.lang or sub.lang
            if request.topics:
                sub.topics = " ".join(request.topics)
            if request.weekdays_only is not None:
                sub.weekdays_only = request.weekdays_only
            if request.min_sources is not None:
                sub.min_sources = request.min_sources
            if request.skip_empty is not None:
                sub.skip_empty = request.skip_empty
            sub.paused, sub.paused_reason, sub.updated_at = False, None, self.now()
            session.add(sub)
            session.commit()
            session.refresh(sub)
        self._changed()
        return Reply(text=t("subscribed", lang, **_sub_fields(sub, lang)), lang=lang)

    def _cmd_unsubscribe(self, args: str, lang: str, ctx: Context) -> Reply:
        if not ctx.can_manage:
            return Reply(text=t(ctx.refusal, lang), lang=lang, error=True, ephemeral=True)
        with Session(self.core.engine) as session:
            sub = session.execute(
                select(Subscription).where(*self._where(ctx))
            ).scalar_one_or_none()
            if sub is None:
                return Reply(text=t("not_subscribed", lang), lang=lang, ephemeral=True)
            session.delete(sub)
            session.commit()
        self._changed()
        return Reply(text=t("unsubscribed", lang), lang=lang)

    def _cmd_subscriptions(self, args: str, lang: str, ctx: Context) -> Reply:
        with Session(self.core.engine) as session:
            subs = (
                session.execute(
                    select(Subscription).where(
                        Subscription.platform == ctx.platform,
                        Subscription.workspace == ctx.workspace,
                    )
                )
                .scalars()
                .all()
            )
        if not subs:
            return Reply(text=t("no_subscriptions", lang), lang=lang, ephemeral=True)
        fields = [
            (f"#{s.channel}", t("subscription_row", lang, **_sub_fields(s, lang))) for s in subs
        ]
        return Reply(text=t("subscriptions_header", lang), lang=lang, fields=fields, ephemeral=True)

    def _cmd_sources(self, args: str, lang: str, ctx: Context) -> Reply:
        action, _, rest = args.partition(" ")
        action = action.lower()
        if action in {"add", "agregar", "añadir", "anadir", "remove", "quitar", "borrar"}:
            if not ctx.can_manage:
                return Reply(text=t(ctx.refusal, lang), lang=lang, error=True, ephemeral=True)
            from bot.sources import add_source, remove_source

            # SourceError is a UserError: ``handle`` turns it into the localized refusal.
            if action in {"add", "agregar", "añadir", "anadir"}:
                source = add_source(self.core, rest.strip())
                return Reply(text=t("source_added", lang, id=source.id, url=source.url), lang=lang)
            removed = remove_source(self.core, rest.strip())
            return Reply(text=t("source_removed", lang, id=removed.id, url=removed.url), lang=lang)
        if action in {"import", "importar"}:
            if not ctx.can_manage:
                return Reply(text=t(ctx.refusal, lang), lang=lang, error=True, ephemeral=True)
            return _imported(self.core, rest.strip(), lang)
        with Session(self.core.engine) as session:
            sources = session.execute(select(Source).order_by(col(Source.id))).scalars().all()
        if not sources:
            return Reply(text=t("no_sources", lang), lang=lang, ephemeral=True)
        fields = [(f"{s.id}. {s.name}", _source_state(s, lang)) for s in sources[:25]]
        return Reply(
            text=t("sources_header", lang, n=len(sources)), lang=lang, fields=fields, ephemeral=True
        )

    def _cmd_lang(self, args: str, lang: str, ctx: Context) -> Reply:
        choice = args.strip().lower()
        if choice not in {"es", "en"}:
            return Reply(text=t("lang_usage", lang), lang=lang, error=True, ephemeral=True)
        with Session(self.core.engine) as session:
            row = session.execute(
                select(ChannelSettings).where(
                    ChannelSettings.platform == ctx.platform,
                    ChannelSettings.workspace == ctx.workspace,
                    ChannelSettings.channel == ctx.channel,
                )
            ).scalar_one_or_none() or ChannelSettings(
                platform=ctx.platform, workspace=ctx.workspace, channel=ctx.channel
            )
            row.lang = choice
            session.add(row)
            session.commit()
        return Reply(text=t("lang_set", choice), lang=choice)

    def _cmd_history(self, args: str, lang: str, ctx: Context) -> Reply:
        sub = self._subscription(ctx)
        with Session(self.core.engine) as session:
            rows = ledger.history(session, sub.id) if sub and sub.id else []
        if not rows:
            return Reply(text=t("history_empty", lang), lang=lang, ephemeral=True)
        fields = [
            (
                row.local_date,
                t(
                    f"delivery_{row.status}",
                    lang,
                    stories=row.stories,
                    error=row.error or "",
                    attempts=row.attempts,
                ),
            )
            for row in rows
        ]
        if sub and sub.paused:
            fields.insert(0, ("⏸", t("subscription_paused", lang, reason=sub.paused_reason or "")))
        return Reply(text=t("history_header", lang), lang=lang, fields=fields, ephemeral=True)

    def _cmd_stats(self, args: str, lang: str, ctx: Context) -> Reply:
        stats = self.core.stats()
        keys = ("articles", "sources", "entities", "newest", "embedding_model")
        return Reply(
            text=t("stats_header", lang),
            lang=lang,
            fields=[(k, str(stats[k])) for k in keys],
            ephemeral=True,
        )

    # -- helpers ------------------------------------------------------------------------------

    def _where(self, ctx: Context) -> tuple[Any, ...]:
        return (
            Subscription.platform == ctx.platform,
            Subscription.workspace == ctx.workspace,
            Subscription.channel == ctx.channel,
        )

    def _subscription(self, ctx: Context) -> Subscription | None:
        with Session(self.core.engine) as session:
            return session.execute(
                select(Subscription).where(*self._where(ctx))
            ).scalar_one_or_none()

    def _channel_lang(self, ctx: Context) -> str | None:
        with Session(self.core.engine) as session:
            return session.execute(
                select(ChannelSettings.lang).where(
                    ChannelSettings.platform == ctx.platform,
                    ChannelSettings.workspace == ctx.workspace,
                    ChannelSettings.channel == ctx.channel,
                )
            ).scalar_one_or_none()

    def _one_per_story(self, hits: list[SearchHit], limit: int) -> list[Card]:
        seen: dict[int, Card] = {}
        cards: list[Card] = []
        for hit in hits:
            key = hit.story_id or -hit.article_id
            if key in seen:
                continue
            seen[key] = card(hit)
            cards.append(seen[key])
            if len(cards) >= limit:
                break
        self._annotate_sources(cards)
        return cards

    def _annotate_sources(self, cards: list[Card]) -> None:
        story_ids = [c.story_id for c in cards if c.story_id]
        if not story_ids:
            return
        with Session(self.core.engine) as session:
            counts = dict(
                session.execute(
                    select(Story.id, Story.source_count).where(col(Story.id).in_(story_ids))
                ).all()
            )
        for c in cards:
            if c.story_id:
                c.also_reported = max(0, int(counts.get(c.story_id, 1)) - 1)

    def _story_cards(self, session: Session, articles: Sequence[Article], n: int) -> list[Card]:
        cards: list[Card] = []
        seen: set[int] = set()
        for article in articles:
            key = article.story_id or -(article.id or 0)
            if key in seen:
                continue
            seen.add(key)
            cards.append(card(article, snippet=_lede(article.body)))
            if len(cards) >= n:
                break
        self._annotate_sources(cards)
        return cards

    def _related(
        self, session: Session, articles: Sequence[Article], exclude: set[int]
    ) -> list[Card]:
        """More like this: nearest articles to the story's first article, other stories only."""
        if not articles:
            return []
        hits = self.core.searcher.search(articles[0].title[:300], limit=8)
        return [card(h) for h in hits if (h.story_id or -1) not in exclude][:3]


def trending(core: Core, days: int, now: datetime) -> list[tuple[str, int, int]]:
    """Entities whose article mentions rose most: last ``days`` vs the ``days`` before."""
    when = func.coalesce(Article.published_at, Article.first_seen_at)
    start, middle = now - timedelta(days=2 * days), now - timedelta(days=days)
    with Session(core.engine) as session:
        rows = session.execute(
            select(Entity.name, when, Entity.from_gazetteer)
            .join(ArticleEntity, col(ArticleEntity.entity_id) == col(Entity.id))
            .join(Article, col(Article.id) == col(ArticleEntity.article_id))
            .where(when > start, when <= now)
        ).all()
    recent: dict[str, int] = {}
    before: dict[str, int] = {}
    for name, at, _known in rows:
        at = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
        at = at if at.tzinfo else at.replace(tzinfo=UTC)
        bucket = recent if at > middle else before
        bucket[name] = bucket.get(name, 0) + 1
    ranked = sorted(recent, key=lambda n: (recent[n] - before.get(n, 0), recent[n]), reverse=True)
    return [(n, recent[n], before.get(n, 0)) for n in ranked[:10] if recent[n] > before.get(n, 0)]


def digest_reply(digest: Digest) -> Reply:
    lang = digest.lang
    if not digest.stories:
        return Reply(text=digest.header + "\n" + t("digest_empty", lang), lang=lang)
    cards = []
    for story in digest.stories:
        snippet = story.summary
        if story.figures:
            snippet += "\n" + t("answer_figures", lang, figures=", ".join(story.figures))
        cards.append(
            Card(
                story.article_ids[0],
                story.headline,
                story.urls[0] if story.urls else None,
                ", ".join(story.sources[:3]),
                None,
                snippet,
                lang,
                story.story_id,
                max(0, len(story.sources) - 1),
            )
        )
    return Reply(text=digest.header, lang=lang, cards=cards)


def _lede(body: str) -> str:
    first = body.split("\n\n", 1)[0]
    return first if len(first) <= 240 else first[:239].rsplit(" ", 1)[0] + "…"


def _int_arg(args: str, *, default: int, low: int, high: int, code: str) -> int:
    value = args.strip()
    if not value:
        return default
    # isdecimal, not isdigit ("²" passes isdigit, not int()); a bound on the length before
    # int(), which refuses numbers of more than 4,300 digits.
    if not value.isdecimal() or len(value) > 9 or not low <= int(value) <= high:
        raise QueryError(code, low=low, high=high)
    return int(value)


def _sub_fields(sub: Subscription, lang: str) -> dict[str, object]:
    topics = sub.topics or t("all_topics", lang)
    return {
        "time": sub.local_time,
        "timezone": sub.timezone,
        "topics": topics,
        "language": sub.lang,
        "weekdays": t("yes" if sub.weekdays_only else "no", lang),
        "min_sources": sub.min_sources,
    }


def _imported(core: Core, url: str, lang: str) -> Reply:
    """``sources import <url>``: the OPML's feeds added; refused entries named (at most 10)."""
    from bot.opml import import_opml

    result, skipped = import_opml(core, url, files=False)  # OpmlError: a localized refusal
    refused = [(entry, exc.message(lang)) for entry, exc in result.refused]
    refused += [(label, t(code, lang)) for label, code in skipped]
    text = t(
        "sources_imported",
        lang,
        added=len(result.added),
        present=len(result.present),
        refused=len(refused),
    )
    return Reply(text=text, lang=lang, fields=refused[:10])


def _source_state(source: Source, lang: str) -> str:
    if not source.enabled:
        return t("source_disabled", lang, reason=public_reason(source.disabled_reason or "-"))
    if source.last_error:
        error = public_reason(source.last_error)  # rows written before errors were shortened
        state = t("source_failing", lang, error=error, n=source.consecutive_failures)
        if source.next_try_at:  # backing off
            when = f"{source.next_try_at:%Y-%m-%d %H:%M}"
            state += "; " + t("source_next_try", lang, when=when)
        return state
    ok = format_date(source.last_success_at, lang) if source.last_success_at else "-"
    return t("source_ok", lang, url=source.url, when=ok)
