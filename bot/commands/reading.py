"""Commands that read the news: search, ask, latest, trending, story, digest, stats."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot import ledger, preferences
from bot.answers import answer
from bot.charts import chart_attachment
from bot.commands import grammar
from bot.commands.cards import card as article_card
from bot.commands.cards import one_per_story, related, story_cards
from bot.commands.spec import Context, Host, Option, Spec
from bot.core import Core
from bot.digest import _matches_topics, build_digest, digest_reply
from bot.feedback import answer_target, result_target
from bot.figures import spanish_names
from bot.i18n import t
from bot.index.hybrid import QueryError, SearchHit
from bot.llm.ask import grounded_answer
from bot.llm.summaries import summarize
from bot.models import Article, ArticleEntity, Entity, Story, Subscription
from bot.reply import Button, Card, Reply
from bot.stories import story_sources
from bot.text import STOPWORDS, fold
from bot.trends import trends

log = logging.getLogger(__name__)

#: Ids are 32-bit integers in the database: a larger number names nothing.
MAX_ID = 2**31 - 1
SEARCH_LIMIT = 5
#: Stories shown for "what is X?" when no sentence answers it
DEFINED_STORIES = 3


def search(host: Host, args: str, lang: str, ctx: Context, *, limit: int = SEARCH_LIMIT) -> Reply:
    hits = host.core.searcher.search(args, limit=limit * 2)
    if not hits:
        return Reply(text=t("no_results", lang, query=args), lang=lang)
    return _results(host, args, hits, lang, limit, t("search_header", lang, query=args))


def _results(
    host: Host, query: str, hits: list[SearchHit], lang: str, limit: int, text: str
) -> Reply:
    """Search hits as cards, one per story, with the share button."""
    cards = one_per_story(host.core, hits, limit)
    for hit_card in cards:
        hit_card.target = result_target(hit_card.article_id)
    return Reply(
        text=text, lang=lang, cards=cards, buttons=[Button(t("btn_share", lang), "share", query)]
    )


def ask(host: Host, args: str, lang: str, ctx: Context) -> Reply:
    result = answer(host.core, args, lang)
    if host.llm is not None:
        outcome = grounded_answer(
            host.core, host.llm, result, metrics=host.metrics, on_partial=ctx.progress
        )
        result = outcome.answer
    if not result.found and (topic := grammar.defined(args)):
        # "¿qué es Goodfire?": no sentence defines it, but the stories that name it do
        cards, _found = _about(host.core, topic, DEFINED_STORIES)
        if cards:
            return Reply(text=t("defined_by_stories", lang, topic=topic), lang=lang, cards=cards)
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
        with Session(host.core.engine) as session:
            first = session.get(Article, cards[0].article_id)
        if first and first.story_id:
            buttons.append(Button(t("btn_more", lang), "more_like_this", str(first.story_id)))
    return Reply(
        text=result.text,
        lang=lang,
        cards=cards,
        buttons=buttons,
        error=not result.found,
        target=answer_target(args) if result.found else None,
    )


def latest(host: Host, args: str, lang: str, ctx: Context) -> Reply:
    """``latest [n] [topic]``: the newest stories, one card each; with a topic, the newest
    stories whose articles name it."""
    core = host.core
    count, topic = grammar.latest_parts(args)
    n = int_arg(count, default=5, low=1, high=grammar.LATEST_MAX, code="invalid_count")
    when = func.coalesce(Article.published_at, Article.first_seen_at)
    with Session(core.engine) as session:
        if not topic:
            rows = (
                session.execute(select(Article).order_by(when.desc()).limit(n * 3)).scalars().all()
            )
            cards = story_cards(core, rows, n)
            if not cards:
                return Reply(text=t("no_articles", lang), lang=lang)
            return Reply(text=t("latest_header", lang, n=len(cards)), lang=lang, cards=cards)
        if session.execute(select(Article.id).limit(1)).first() is None:
            return Reply(text=t("no_articles", lang), lang=lang)
    cards, found = _about(core, topic, n)
    if not cards:  # "tell me about perplexity comet": what comes closest, said as such
        if not found:
            return Reply(text=t("latest_topic_empty", lang, topic=topic), lang=lang)
        return _results(host, topic, found, lang, n, t("latest_topic_closest", lang, topic=topic))
    return Reply(
        text=t("latest_topic_header", lang, n=len(cards), topic=topic), lang=lang, cards=cards
    )


def _about(core: Core, topic: str, n: int) -> tuple[list[Card], list[SearchHit]]:
    """The newest ``n`` stories whose articles name ``topic``, and what search found for it.

    Candidates: what the hybrid search finds for the topic, plus the newest articles (by
    relevance alone, today's mention of a common name can rank below old ones). Search also
    returns near neighbours that never name the topic, so an article counts only when it
    names the topic, an alias of it, or all its words."""
    when = func.coalesce(Article.published_at, Article.first_seen_at)
    with Session(core.engine) as session:
        recent = session.execute(select(Article.id).order_by(when.desc()).limit(300))
        found = core.searcher.search(topic, limit=50)
        ids = list(dict.fromkeys([*(hit.article_id for hit in found), *recent.scalars().all()]))
        articles = session.execute(select(Article).where(col(Article.id).in_(ids))).scalars().all()
        names: dict[int, set[str]] = {}
        for aid, name in session.execute(
            select(ArticleEntity.article_id, Entity.name)
            .join(Entity, col(Entity.id) == col(ArticleEntity.entity_id))
            .where(col(ArticleEntity.article_id).in_(ids))
        ):
            names.setdefault(aid, set()).add(name)
    whole, each = _topic_forms(core, topic)

    def about(article: Article) -> bool:
        known = names.get(article.id or 0, set())
        if _matches_topics(article, known, whole):
            return True
        return len(each) > 1 and all(_matches_topics(article, known, f) for f in each)

    def newest(article: Article) -> datetime:
        return article.published_at or article.first_seen_at

    return story_cards(core, sorted(filter(about, articles), key=newest, reverse=True), n), found


def _topic_forms(core: Core, topic: str) -> tuple[list[str], list[list[str]]]:
    """The topic itself, or each of its words, in any of the forms search expands it to
    (entity aliases, the Spanish/English lexicon): "Chinese developers" finds
    "desarrolladores chinos". A multi-word topic's own variants would include each word's
    ("open source models" -> "modelos"), so only a known name's aliases count."""
    variants = core.searcher.expander.variants
    phrase = " ".join(fold(topic).split())
    words = [w for w in phrase.split() if w not in STOPWORDS["es"] | STOPWORDS["en"]]
    whole = [phrase]
    if len(phrase.split()) == 1:
        whole += [fold(v) for v in variants(topic)]
    for name in core.gazetteer.find(topic):
        aliases = [fold(a) for a in core.gazetteer.aliases(name)]
        if phrase in aliases:
            # a known name of several words is named by one of its aliases, never by its
            # words apart: "AI Security Institute" is not "instituto" + "seguridad" + "IA"
            return [*whole, *aliases], []
    each = [[w, *(fold(v) for v in variants(w))] for w in words]
    return whole, each


def trending_cmd(host: Host, args: str, lang: str, ctx: Context) -> Reply:
    days = int_arg(args, default=7, low=1, high=90, code="invalid_days")
    trend = trends(host.core, days, host.now())
    if not trend.rising:
        return Reply(text=t("trending_empty", lang, days=days), lang=lang)
    fields = [
        (name, t("trending_row", lang, now=now, before=before))
        for name, now, before in trend.rising
    ]
    reply = Reply(text=t("trending_header", lang, days=days), lang=lang, fields=fields)
    try:
        reply.files.append(chart_attachment(trend, lang))
    except Exception:  # the list is the answer; a chart that cannot be drawn is only missing
        log.exception("trend chart failed (%d days)", days)
        reply.fields.append(
            ("⚠️", t("file_not_attached", lang, name=t("chart_filename", lang, days=days)))
        )
    return reply


def story(host: Host, args: str, lang: str, ctx: Context) -> Reply:
    ref = args.strip().lstrip("#")
    # isdecimal, not isdigit: "²" is a digit int() refuses; past MAX_ID no story exists.
    if not ref.isdecimal():
        return Reply(text=t("story_usage", lang), lang=lang, error=True, ephemeral=True)
    if len(ref) > 10 or int(ref) > MAX_ID:
        return Reply(text=t("story_unknown", lang, id=ref[:40]), lang=lang, error=True)
    story_id = int(ref)
    with Session(host.core.engine) as session:
        found = session.get(Story, story_id)
        if found is None:
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
        sources = story_sources(session, [story_id]).get(story_id)
    cards = [article_card(a) for a in articles]
    header = t("story_header", lang, title=found.title, n=len(cards))
    return Reply(
        text=header + (f"\n{sources.describe(lang)}" if sources else ""),
        lang=lang,
        cards=cards + related(host.core, articles, exclude={story_id}),
    )


def digest(host: Host, args: str, lang: str, ctx: Context) -> Reply:
    core = host.core
    with Session(core.engine) as session:
        sub = session.execute(
            select(Subscription).where(*channel_is(ctx))
        ).scalar_one_or_none() or Subscription(
            platform=ctx.platform, workspace=ctx.workspace, channel=ctx.channel, lang=lang
        )
        since = ledger.last_until(session, sub.id) if sub.id else None
        now = host.now()
        built = build_digest(
            session,
            sub,
            now,
            since=since,
            max_stories=core.settings.digest_max_stories,
            names_es=spanish_names(core.settings.gazetteer_path),
            gazetteer=core.gazetteer,
            preferences=preferences.for_channel(
                session,
                sub.platform,
                sub.channel,
                now,
                core.lexicon,
                core.settings.vote_half_life_days,
            ),
        )
    return digest_reply(summarize(core.engine, host.llm, built, host.metrics))


def stats(host: Host, args: str, lang: str, ctx: Context) -> Reply:
    numbers = host.core.stats()
    keys = ("articles", "sources", "entities", "newest", "embedding_model")
    return Reply(
        text=t("stats_header", lang), lang=lang, fields=[(k, str(numbers[k])) for k in keys]
    )


def channel_is(ctx: Context) -> tuple[Any, ...]:
    """The ``where`` clause of the asking channel's subscription."""
    return (
        Subscription.platform == ctx.platform,
        Subscription.workspace == ctx.workspace,
        Subscription.channel == ctx.channel,
    )


def int_arg(args: str, *, default: int, low: int, high: int, code: str) -> int:
    value = args.strip()
    if not value:
        return default
    # isdecimal, not isdigit ("²" passes isdigit, not int()); a bound on the length before
    # int(), which refuses numbers of more than 4,300 digits.
    if not value.isdecimal() or len(value) > 9 or not low <= int(value) <= high:
        raise QueryError(code, low=low, high=high)
    return int(value)


SPECS = (
    Spec(
        "search",
        search,
        "help_search",
        en=("search", "find"),
        es=("buscar", "busca"),
        options=(Option("query", "opt_query", required=True, low=1, high=500),),
        private=True,
    ),
    Spec(
        "ask",
        ask,
        "help_ask",
        en=("ask",),
        es=("preguntar", "pregunta"),
        options=(Option("question", "opt_question", required=True, low=1, high=500),),
    ),
    Spec(
        "latest",
        latest,
        "help_latest",
        en=("latest", "news"),
        es=("ultimas", "ultimos", "noticias"),
        shape=grammar.latest,
        options=(
            Option("n", "opt_latest_n", kind=int, low=1, high=grammar.LATEST_MAX),
            Option("topic", "opt_latest_topic", low=1, high=100, complete="topics"),
        ),
    ),
    Spec(
        "trending",
        trending_cmd,
        "help_trending",
        en=("trending",),
        es=("tendencias",),
        shape=grammar.trending,
        options=(Option("days", "opt_trending_days", kind=int, low=1, high=90),),
    ),
    Spec(
        "story",
        story,
        "help_story",
        en=("story", "more"),
        es=("historia", "noticia"),
        shape=grammar.story,
        options=(Option("id", "opt_story_id", kind=int, required=True, low=1),),
    ),
    Spec(
        "digest",
        digest,
        "help_digest",
        en=("digest",),
        es=("resumen",),
        shape=grammar.no_args("digest"),
    ),
    Spec(
        "stats",
        stats,
        "help_stats",
        en=("stats",),
        es=("estadisticas",),
        shape=grammar.no_args("stats"),
        private=True,
    ),
)
