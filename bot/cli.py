"""``ainews`` command line: ingest, search, stats, and running the bot."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.settings import Settings, load_settings

if TYPE_CHECKING:
    from bot.core import Core

log = logging.getLogger("ainews")


def _quiet_ml_libraries() -> None:
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def _core(settings: Settings, **options: Any) -> Core:
    from bot.core import Core

    return Core.build(settings, **options)


def _iso(value: datetime | None) -> str | None:
    return value.date().isoformat() if value else None


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from tqdm import tqdm

    from bot.ingest.files import iter_path

    # The model loads on the first new article; an all-duplicate run never needs it.
    core = _core(settings, eager_model=False, load_vectors=False)
    inputs = args.inputs or [os.path.relpath(settings.seeds_dir) + "/"]
    items = [item for given in inputs for item in iter_path(given)]
    with tqdm(total=len(items), unit="article", disable=args.json or None, file=sys.stderr) as bar:
        report = core.ingester.ingest(items, progress=bar.update)
    if args.json:
        print(
            json.dumps(
                {
                    "new": len(report.new),
                    "duplicates": len(report.duplicates),
                    "failed": [{"input": o.label, "reason": o.reason} for o in report.failed],
                    "notices": [{"input": o.label, "notice": o.notice} for o in report.notices],
                },
                ensure_ascii=False,
            )
        )
    else:
        for outcome in report.notices:
            print(f"note    {outcome.label}: {outcome.notice}")
        for outcome in report.failed:
            print(f"FAILED  {outcome.label}: {outcome.reason}")
        summary = (
            f"{len(report.new)} new, {len(report.duplicates)} duplicate, "
            f"{len(report.failed)} failed"
        )
        if report.duplicates and not report.new:
            summary += " (already stored: nothing changed)"
        print(summary)
    return 1 if report.failed else 0


def _hit_json(hit: Any) -> dict[str, Any]:
    return {
        "id": hit.article_id,
        "title": hit.title,
        "url": hit.url,
        "source": hit.source,
        "published_at": _iso(hit.published_at),
        "lang": hit.lang,
        "score": hit.score,
        "snippet": hit.snippet,
    }


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    from bot.i18n import t
    from bot.index.hybrid import QueryError, validate_query
    from bot.text import detect_lang

    query = " ".join(args.query)
    lang = detect_lang(query) if query.strip() else "en"
    try:
        validate_query(query, settings.max_query_chars)  # fail fast, before loading the model
        hits = _core(settings).searcher.search(query, limit=args.limit)
    except QueryError as exc:
        print(t(exc.code, lang, **exc.params), file=sys.stderr)
        return 2
    if args.json:
        payload = {"query": query, "results": [_hit_json(h) for h in hits]}
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return 0
    if not hits:
        print(t("no_results", lang, query=query))
    for n, hit in enumerate(hits, start=1):
        meta = " · ".join(x for x in (hit.source, _iso(hit.published_at), hit.url) if x)
        print(f"{n}. {hit.title}\n   {meta}\n   {hit.snippet}\n")
    return 0


def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    from bot.core import Core
    from bot.index.embedder import HashingEmbedder

    # Counting rows needs neither the model nor the vectors.
    core = Core.build(settings, embedder=HashingEmbedder(), load_vectors=False)
    stats = core.stats()
    stats.pop("indexed_vectors")
    stats.pop("vector_index_mb")
    stats["embedding_model"] = settings.embedding_model
    if args.json:
        print(json.dumps(stats, ensure_ascii=False, indent=2))
    else:
        for key, value in stats.items():
            print(f"{key:20} {value}")
    return 0


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from bot.answers import answer
    from bot.i18n import t
    from bot.index.hybrid import QueryError, validate_query
    from bot.text import detect_lang

    question = " ".join(args.question)
    lang = args.lang or (detect_lang(question) if question.strip() else "en")
    try:
        validate_query(question, settings.max_query_chars)
        result = answer(_core(settings), question, lang)
    except QueryError as exc:
        print(t(exc.code, lang, **exc.params), file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
    else:
        print(result.text)
        for c in {c.n: c for c in result.citations}.values():
            print(f"[{c.n}] {c.title} · {c.url or ''}")
    return 0


def cmd_latest(args: argparse.Namespace, settings: Settings) -> int:
    from bot.service import Context, Service

    service = Service(_core(settings, eager_model=False, load_vectors=False))
    reply = service.handle_text(f"latest {args.n}", Context(platform="cli"))
    return _print_reply(reply, args.json, "articles")


def cmd_trending(args: argparse.Namespace, settings: Settings) -> int:
    from bot.service import trending

    core = _core(settings, eager_model=False, load_vectors=False)
    rows = trending(core, args.days, datetime.now(UTC))
    if args.json:
        print(
            json.dumps(
                {
                    "days": args.days,
                    "entities": [
                        {"name": n, "count": now, "previous": before} for n, now, before in rows
                    ],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        for name, now, before in rows:
            print(f"{name:30} {now:5} (before: {before})")
    return 0


def cmd_digest(args: argparse.Namespace, settings: Settings) -> int:

    from sqlmodel import Session, select

    from bot.digest import build_digest
    from bot.models import Subscription

    core = _core(settings, eager_model=False, load_vectors=False)
    now = _parse_time(args.now) if args.now else datetime.now(UTC)
    with Session(core.engine) as session:
        sub = None
        if args.channel:
            sub = (
                session.execute(select(Subscription).where(Subscription.channel == args.channel))
                .scalars()
                .first()
            )
            if sub is None:
                print(f"no subscription for channel {args.channel}", file=sys.stderr)
                return 2
        sub = sub or Subscription(
            platform="cli", workspace="cli", channel="preview", lang=args.lang
        )
        since = _parse_time(args.since) if args.since else None
        if since is None and sub.id is not None:  # what this channel has not been sent yet
            from bot import ledger

            since = ledger.last_until(session, sub.id)
        digest = build_digest(session, sub, now, since=since)
    if args.json:
        print(json.dumps(digest.as_json(), ensure_ascii=False, indent=2))
        return 0
    print(digest.header)
    for n, story in enumerate(digest.stories, start=1):
        print(f"{n}. {story.headline}\n   {story.summary}\n   {', '.join(story.urls[:3])}")
    return 0


def _parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _print_reply(reply: Any, as_json: bool, key: str) -> int:
    if as_json:
        print(
            json.dumps(
                {
                    key: [
                        {
                            "id": c.article_id,
                            "title": c.title,
                            "url": c.url,
                            "source": c.source,
                            "published_at": _iso(c.published_at),
                            "story": c.story_id,
                            "also_reported": c.also_reported,
                        }
                        for c in reply.cards
                    ]
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        from adapters.console import render

        print(render(reply))
    return 0


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import run

    return run(settings)


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    from adapters.console import run_console
    from bot.core import Core
    from bot.service import Service

    return run_console(Service(Core.build(settings)))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ainews", description="AI-industry news bot")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="ingest files, folders, feeds or URLs (default: seeds/)")
    p.add_argument("inputs", nargs="*", metavar="PATH|URL")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("search", help="hybrid search over stored articles")
    p.add_argument("query", nargs="*")
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("ask", help="an extractive answer with citations")
    p.add_argument("question", nargs="*")
    p.add_argument("--lang", choices=["es", "en"], help="answer language (default: the question's)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("latest", help="the newest stories")
    p.add_argument("n", nargs="?", type=int, default=5)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_latest)

    p = sub.add_parser("trending", help="entities rising in the last N days")
    p.add_argument("days", nargs="?", type=int, default=7)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_trending)

    p = sub.add_parser("digest", help="preview a channel's digest")
    p.add_argument("--channel", help="a subscribed channel id")
    p.add_argument("--now", help="ISO time to build the digest at (default: now)")
    p.add_argument("--since", help="ISO time: what a new subscriber would get since then")
    p.add_argument("--lang", choices=["es", "en"], default="en")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_digest)

    p = sub.add_parser("run", help="run the bot (console mode when no Slack/Discord token is set)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("chat", help="interactive console session with every command")
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("stats", help="what is stored and indexed")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_stats)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    _quiet_ml_libraries()
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    settings = load_settings()
    try:
        return int(args.func(args, settings))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into head & co.
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
