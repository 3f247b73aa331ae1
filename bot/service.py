"""Command handling: turns a ``Command`` into a ``Reply`` using the core. No platform code."""

from __future__ import annotations

from bot.commands import Command, parse
from bot.core import Core
from bot.i18n import t
from bot.index.hybrid import QueryError, SearchHit
from bot.reply import Card, Reply


def card(hit: SearchHit) -> Card:
    return Card(
        article_id=hit.article_id,
        title=hit.title,
        url=hit.url,
        source=hit.source,
        published_at=hit.published_at,
        snippet=hit.snippet,
        lang=hit.lang,
        story_id=hit.story_id,
    )


class Service:
    """The one entry point adapters call: ``handle_text`` (sync; adapters use a thread)."""

    def __init__(self, core: Core) -> None:
        self.core = core

    def handle_text(self, text: str) -> Reply:
        return self.handle(parse(text))

    def handle(self, command: Command) -> Reply:
        if command.verb == "search":
            return self.search(command.args, command.lang)
        return Reply(text=t("help", command.lang), lang=command.lang)

    def search(self, query: str, lang: str, *, limit: int = 5) -> Reply:
        try:
            hits = self.core.searcher.search(query, limit=limit)
        except QueryError as exc:
            return Reply(text=t(exc.code, lang, **exc.params), lang=lang, error=True)
        if not hits:
            return Reply(text=t("no_results", lang, query=query), lang=lang)
        return Reply(
            text=t("search_header", lang, query=query),
            lang=lang,
            cards=[card(h) for h in hits],
            ephemeral=True,
        )
