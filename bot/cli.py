"""``ainews`` command line: ingest, search, stats, and running the bot."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot import __version__
from bot.blas import quiet_blas_threads
from bot.reply import plain_text
from bot.settings import Settings, load_settings

if TYPE_CHECKING:
    from bot.core import Core
    from bot.migrations import Status

log = logging.getLogger("ainews")


def _quiet_ml_libraries() -> None:
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def _core(settings: Settings, *, store_only: bool = False, **options: Any) -> Core:
    """A search core, or with ``store_only`` one that only stores (``bot.core``)."""
    from bot.core import Core

    return (Core.build_store if store_only else Core.build)(settings, **options)


def _iso(value: datetime | None) -> str | None:
    return value.date().isoformat() if value else None


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from tqdm import tqdm

    from bot.defaults import shown
    from bot.ingest.files import iter_path

    # The model loads on the first new article; an all-duplicate run never needs it.
    core = _core(settings, store_only=True)
    if args.inputs:
        items = _input_items(args.inputs, settings, iter_path, quiet=args.json)
    else:  # the seeds (packaged, or AINEWS_SEEDS_DIR)
        items = list(iter_path(str(settings.seeds_dir), shown_as=shown(settings.seeds_dir)))
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


def _fetch_summary(items: list[Any]) -> str:
    from bot.ingest.types import IngestError

    failed = [i for i in items if isinstance(i.result, IngestError)]
    if len(items) == 1 and failed:
        return f"FAILED: {failed[0].result}"
    return f"{len(items)} item(s)" + (f", {len(failed)} unreadable" if failed else "")


def _is_url(given: str) -> bool:
    return given.lower().startswith(("http://", "https://"))


def _input_items(
    inputs: list[str], settings: Settings, iter_path: Any, *, quiet: bool = False
) -> list[Any]:
    """Items of every input in order; URLs (a feed or one article page) are fetched in parallel,
    each reported on stderr as it arrives (bot/progress.py).

    A URL that cannot be fetched or read becomes one failed item, reported like a bad file.
    """
    from concurrent.futures import ThreadPoolExecutor, as_completed

    from bot.ingest.poller import items_from_url, make_fetcher
    from bot.progress import Progress

    unique = list(dict.fromkeys(given for given in inputs if _is_url(given)))
    fetched: dict[str, list[Any]] = {}
    if unique:
        with (
            make_fetcher(settings) as fetcher,
            ThreadPoolExecutor(4) as pool,
            Progress(len(unique), "url", lines=sys.stderr, quiet=quiet) as progress,
        ):
            futures = {pool.submit(items_from_url, fetcher, url): url for url in unique}
            for future in as_completed(futures):
                url = futures[future]
                fetched[url] = future.result()
                progress.done(f"fetched {url}: {_fetch_summary(fetched[url])}")
    return [
        item
        for given in inputs
        for item in (fetched[given] if _is_url(given) else iter_path(given))
    ]


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
        print(exc.message(lang), file=sys.stderr)
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


def cmd_reindex(args: argparse.Namespace, settings: Settings) -> int:
    """Re-embed every stored passage with the configured model (after changing models)."""
    from tqdm import tqdm

    from bot.index.embedder import make_embedder
    from bot.index.space import reindex, stored_model
    from bot.store import init_schema, make_engine

    engine = make_engine(settings.resolved_database_url)
    try:
        init_schema(engine)
        embedder = make_embedder(settings.embedding_model, threads=settings.embedding_threads)
        before = stored_model(engine)
        with tqdm(unit="passage", file=sys.stderr, disable=args.json or None) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.n = done
                bar.refresh()

            count = reindex(engine, embedder, progress=progress)
    finally:
        engine.dispose()
    result = {"passages": count, "from": before, "to": embedder.name}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"re-embedded {count} passages: {before or 'empty index'} -> {embedder.name}")
    return 0


def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    from bot.core import Core
    from bot.index.embedder import HashingEmbedder
    from bot.index.space import stored_model

    # Counting rows needs neither the model nor the vectors.
    core = Core.build_store(settings, embedder=HashingEmbedder())
    stats = core.stats()
    stats["embedding_model"] = settings.embedding_model
    stats["stored_embedding_model"] = stored_model(core.engine)
    if args.json:
        print(json.dumps(stats, ensure_ascii=False, indent=2))
    else:
        for key, value in stats.items():
            print(f"{key:20} {value}")
    return 0


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from bot.answers import answer
    from bot.index.hybrid import QueryError, validate_query
    from bot.llm.ask import grounded_answer
    from bot.llm.client import LLM
    from bot.text import detect_lang

    question = " ".join(args.question)
    lang = args.lang or (detect_lang(question) if question.strip() else "en")
    try:
        validate_query(question, settings.max_query_chars)
        core = _core(settings)
        outcome = grounded_answer(core, LLM.from_settings(settings), answer(core, question, lang))
    except QueryError as exc:
        print(exc.message(lang), file=sys.stderr)
        return 2
    result = outcome.answer
    if args.json:
        payload = {**result.as_json(), "mode": outcome.mode}
        if outcome.fallback_reason:
            payload["fallback_reason"] = outcome.fallback_reason
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        print(result.text)
        for c in {c.n: c for c in result.citations}.values():
            print(f"[{c.n}] {c.title} · {c.url or ''}")
    return 0


def cmd_latest(args: argparse.Namespace, settings: Settings) -> int:
    from bot.service import Context, Service

    service = Service(_core(settings, store_only=True))
    reply = service.handle_text(f"latest {args.n}", Context(platform="cli"))
    return _print_reply(reply, args.json, "articles")


def cmd_feedback(args: argparse.Namespace, settings: Settings) -> int:
    """Votes by channel and target kind (answer, story, result); no model is loaded."""
    from bot.feedback import Feedback
    from bot.store import init_schema, make_engine

    engine = make_engine(settings.resolved_database_url)
    try:
        init_schema(engine)
        rows = Feedback(engine).summary()
    finally:
        engine.dispose()
    if args.json:
        print(json.dumps({"votes": [r.as_json() for r in rows]}, ensure_ascii=False, indent=2))
        return 0
    for r in rows:
        print(f"{r.platform}/{r.workspace}/{r.channel:20} {r.kind:7} 👍 {r.up:5} 👎 {r.down:5}")
    print(f"{sum(r.up + r.down for r in rows)} votes")
    return 0


def cmd_trending(args: argparse.Namespace, settings: Settings) -> int:
    from bot.trends import trends

    core = _core(settings, store_only=True)
    trend = trends(core, args.days, datetime.now(UTC))
    rows = trend.rising
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
    return _write_chart(trend, args.chart, args.lang) if args.chart else 0


def _write_chart(trend: Any, path: Path, lang: str) -> int:
    """``trending --chart FILE.png``: the chart, or a localized reason it was not written."""
    from bot.charts import save_chart
    from bot.i18n import UserError, t

    try:
        size = save_chart(trend, path, lang)
    except UserError as exc:
        print(exc.message(lang), file=sys.stderr)
        return 1
    print(t("chart_written", lang, path=path, size=size), file=sys.stderr)
    return 0


def cmd_digest(args: argparse.Namespace, settings: Settings) -> int:

    from sqlmodel import Session, select

    from bot.digest import build_digest
    from bot.entities import Gazetteer
    from bot.figures import spanish_names
    from bot.llm.client import LLM
    from bot.llm.summaries import summarize
    from bot.models import Subscription
    from bot.preferences import for_channel

    core = _core(settings, store_only=True)
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
        digest = build_digest(
            session,
            sub,
            now,
            since=since,
            names_es=spanish_names(settings.gazetteer_path),
            gazetteer=Gazetteer.load(settings.gazetteer_path),
            preferences=for_channel(
                session, sub.platform, sub.channel, now, core.lexicon, settings.vote_half_life_days
            ),
        )
    digest = summarize(core.engine, LLM.from_settings(settings), digest)
    if args.json:
        print(json.dumps(digest.as_json(), ensure_ascii=False, indent=2))
        return 0
    print(digest.header)
    for n, story in enumerate(digest.stories, start=1):
        print(f"{n}. {story.headline}\n   {story.summary}\n   {', '.join(story.urls[:3])}")
    return 0


def _parse_time(value: str) -> datetime:
    from bot.utc import aware

    return aware(datetime.fromisoformat(value.replace("Z", "+00:00")))


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
        print(plain_text(reply))
    return 0


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import run

    return run(settings, headless=args.headless)


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import chat

    return chat(settings)


def cmd_discord_invite(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import discord_invite_url

    try:
        print(discord_invite_url(args.application_id))
    except ValueError as exc:
        print(f"invalid application id: {exc}", file=sys.stderr)
        return 2
    return 0


PLATFORMS = ("slack", "discord")
IMPORT_FIELDS = ("platform", "workspace", "channel", "time", "timezone", "lang")


def _subscribe_text(entry: dict[str, Any]) -> str:
    """An import line as the ``subscribe`` command a channel would type (same validation)."""
    from bot.topics import topic_list, topic_word

    missing = [k for k in IMPORT_FIELDS if not isinstance(entry.get(k), str) or not entry[k]]
    if missing:
        raise ValueError(f"missing or not a string: {', '.join(missing)}")
    if entry["platform"] not in PLATFORMS:
        raise ValueError(f"platform must be slack or discord, not {entry['platform']!r}")
    for k in ("workspace", "channel", "time", "timezone", "lang"):
        if any(c.isspace() for c in entry[k]):
            raise ValueError(f"{k} has spaces: {entry[k]!r}")
    topics = entry.get("topics") or []
    if isinstance(topics, str):
        topics = topic_list(topics)
    if not isinstance(topics, list) or not all(isinstance(x, str) for x in topics):
        raise ValueError("topics must be a list of strings")
    words = [entry["time"], entry["timezone"], f"lang={entry['lang']}", *map(topic_word, topics)]
    return "subscribe " + " ".join(words)


def _subscription_json(sub: Any) -> dict[str, Any]:
    from bot.topics import topic_list

    return {
        "id": sub.id,
        "platform": sub.platform,
        "workspace": sub.workspace,
        "channel": sub.channel,
        "time": sub.local_time,
        "timezone": sub.timezone,
        "lang": sub.lang,
        "topics": topic_list(sub.topics),
        "weekdays_only": sub.weekdays_only,
        "followups": sub.followups,
        "paused": sub.paused,
        "paused_reason": sub.paused_reason,
    }


def cmd_subscriptions(args: argparse.Namespace, settings: Settings) -> int:
    """Digest subscriptions for admins: list, add, remove, bulk import (JSON lines).

    ``add`` and ``import`` go through ``subscribe`` itself (bot/service.py), so they check
    and answer exactly as ``/ainews subscribe`` does in the channel."""
    from sqlmodel import Session, col, select

    from bot.models import Subscription
    from bot.service import Context, Service

    core = _core(settings, store_only=True)
    service = Service(core)

    def context(platform: str, workspace: str, channel: str) -> Context:
        return Context(platform=platform, workspace=workspace, channel=channel, user="cli")

    if args.action == "list":
        with Session(core.engine) as session:
            subs = session.execute(select(Subscription).order_by(col(Subscription.id))).scalars()
            rows = [_subscription_json(s) for s in subs]
        if args.json:
            print(json.dumps({"subscriptions": rows}, ensure_ascii=False, indent=2))
        else:
            for r in rows:
                topics = " ".join(r["topics"]) or "all topics"
                state = f" PAUSED: {r['paused_reason']}" if r["paused"] else ""
                print(
                    f"{r['id']:>5}. {r['platform']}/{r['workspace']}/{r['channel']} "
                    f"{r['time']} {r['timezone']} {r['lang']} ({topics}){state}"
                )
            print(f"{len(rows)} subscriptions")
        return 0
    if args.action == "remove":
        reply = service.handle_text(
            "unsubscribe", context(args.platform, args.workspace, args.channel)
        )
        print(reply.text if not args.json else json.dumps({"ok": not reply.error}))
        return 1 if reply.error else 0
    if args.action == "add":
        entries: list[tuple[str, Any]] = [
            (
                "arguments",
                {
                    "platform": args.platform,
                    "workspace": args.workspace,
                    "channel": args.channel,
                    "time": args.time,
                    "timezone": args.timezone,
                    "lang": args.lang,
                    "topics": args.topics,
                },
            )
        ]
    else:
        try:
            lines = Path(args.file).read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        entries = []
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                entries.append((f"line {number}", json.loads(line)))
            except (ValueError, RecursionError) as exc:
                entries.append((f"line {number}", f"not JSON: {exc}"))
    added, skipped = 0, []
    for label, entry in entries:
        try:
            if not isinstance(entry, dict):
                raise ValueError(entry if isinstance(entry, str) else "not a JSON object")
            text = _subscribe_text(entry)
        except ValueError as exc:
            skipped.append({"line": label, "reason": str(exc)})
            continue
        try:
            reply = service.handle_text(
                text, context(entry["platform"], entry["workspace"], entry["channel"])
            )
        except Exception as exc:  # one bad line never stops the import
            log.warning("subscribe %r failed", text, exc_info=True)
            skipped.append({"line": label, "reason": f"could not subscribe ({type(exc).__name__})"})
            continue
        if reply.error:
            skipped.append({"line": label, "reason": reply.text})
        else:
            added += 1
            if not args.json and args.action == "add":
                print(reply.text)
    if args.json:
        print(json.dumps({"added": added, "skipped": skipped}, ensure_ascii=False))
    else:
        for item in skipped:
            print(f"skipped {item['line']}: {item['reason']}", file=sys.stderr)
        if args.action == "import":
            print(f"{added} subscriptions added or updated, {len(skipped)} skipped")
    return 1 if skipped else 0


def _revision_text(status: Status) -> str:
    """The database's revision, or what is off and the command that fixes it."""
    if status.legacy:
        return (
            "created before migrations (no revision yet): `ainews db upgrade` adopts it as "
            "0001_initial"
        )
    if not status.current:
        return "empty (no revision): `ainews db upgrade` creates the schema"
    current = ", ".join(status.current)
    if status.at_head:
        return f"at revision {current} (head)"
    if status.unknown:
        return (
            f"at revision {current}, unknown to this version of ainews (its newest is "
            f"{status.head}): a newer release upgraded it"
        )
    return f"at revision {current}; the newest is {status.head}: run `ainews db upgrade`"


def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    """Schema migrations by hand (the bot upgrades on its own at every start)."""
    from alembic.util import CommandError
    from sqlalchemy.exc import SQLAlchemyError

    from bot import migrations
    from bot.store import make_engine, redacted_url

    engine = make_engine(settings.resolved_database_url)
    url = redacted_url(engine)
    try:
        if args.db_command == "current":
            status = migrations.status(engine)
            if args.json:
                state = {"database": url, "current": list(status.current), "head": status.head}
                print(json.dumps({**state, "at_head": status.at_head, "legacy": status.legacy}))
            else:
                print(f"database {url} {_revision_text(status)}")
            return 0
        if args.db_command == "revision":
            path = migrations.new_revision(engine, args.message, autogenerate=args.autogenerate)
            print(f"wrote {path}: review it, then run `ainews db upgrade`")
            return 0
        before = migrations.status(engine)
        if args.db_command == "upgrade":
            migrations.upgrade(engine, args.revision)
        else:
            migrations.downgrade(engine, args.revision)
        after = migrations.status(engine)
    except (CommandError, migrations.MigrationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except SQLAlchemyError as exc:
        print(f"error: database {url}: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    if after.current == before.current:
        print(f"database {url} unchanged: {_revision_text(after)}")
        return 0
    verb = "upgraded" if args.db_command == "upgrade" else "downgraded"
    print(f"database {url} {verb} from {_revision_name(before)} to {_revision_name(after)}")
    return 0


def _revision_name(status: Status) -> str:
    if status.legacy:
        return "pre-migration tables"
    if not status.current:
        return "base (empty)"
    return f"revision {', '.join(status.current)}" + (" (head)" if status.at_head else "")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ainews", description="AI-industry news bot")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument("--version", action="version", version=f"ainews {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="ingest files, folders, feeds or URLs (default: seeds/)")
    p.add_argument("inputs", nargs="*", metavar="PATH|URL")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_ingest)

    from bot.sources_cli import add_parser as add_sources  # ainews sources (bot/sources_cli.py)
    from bot.sources_cli import json_everywhere

    add_sources(sub, lambda settings, **options: _core(settings, **options))

    p = sub.add_parser("search", help="hybrid search over stored articles")
    p.add_argument("query", nargs="*")
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("ask", help="an answer with citations (phrased by AINEWS_LLM_MODEL if set)")
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
    p.add_argument("--chart", type=Path, metavar="FILE.png", help="also draw them as a PNG")
    p.add_argument("--lang", choices=["es", "en"], default="en", help="the chart's language")
    p.set_defaults(func=cmd_trending)

    p = sub.add_parser("digest", help="preview a channel's digest")
    p.add_argument("--channel", help="a subscribed channel id")
    p.add_argument("--now", help="ISO time to build the digest at (default: now)")
    p.add_argument("--since", help="ISO time: what a new subscriber would get since then")
    p.add_argument("--lang", choices=["es", "en"], default="en")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_digest)

    p = sub.add_parser("run", help="run the bot (console mode when no Slack/Discord token is set)")
    p.add_argument(
        "--headless",
        action="store_true",
        help="no console: serve /healthz and /metrics and run the jobs (feeds, digests)",
    )
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("chat", help="interactive console session with every command")
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("discord", help="Discord helpers")
    discord_sub = p.add_subparsers(dest="discord_command", required=True)
    q = discord_sub.add_parser("invite", help="print the install URL (minimal permissions)")
    q.add_argument("application_id", help="the Application ID from the Developer Portal")
    q.set_defaults(func=cmd_discord_invite)

    p = sub.add_parser("db", help="database schema migrations (run on their own at start)")
    db_sub = p.add_subparsers(dest="db_command", required=True)
    q = db_sub.add_parser("upgrade", help="upgrade the schema (default: to the newest revision)")
    q.add_argument("revision", nargs="?", default="head", metavar="REVISION")
    q = db_sub.add_parser("current", help="the database's revision, and whether it is the newest")
    q.add_argument("--json", action="store_true")
    q = db_sub.add_parser(
        "downgrade", help="downgrade the schema to REVISION (`base` drops every table)"
    )
    q.add_argument("revision", metavar="REVISION")
    q = db_sub.add_parser("revision", help="(development) write a new migration file")
    q.add_argument("-m", "--message", required=True, help='what it changes, e.g. "add x"')
    q.add_argument(
        "--autogenerate",
        action="store_true",
        help="fill it with the differences between the models and the database (at head)",
    )
    p.set_defaults(func=cmd_db)

    p = sub.add_parser("subscriptions", help="digest subscriptions: list, add, remove, import")
    actions = p.add_subparsers(dest="action")
    a = actions.add_parser("list", help="every subscription")
    for action, text in (("add", "subscribe a channel"), ("remove", "unsubscribe a channel")):
        a = actions.add_parser(action, help=text)
        a.add_argument("platform", choices=PLATFORMS)
        a.add_argument("workspace", help="Slack team id, Discord guild id")
        a.add_argument("channel", help="channel id")
        if action == "add":
            a.add_argument("time", help="HH:MM, local")
            a.add_argument("timezone", help="IANA name, e.g. Europe/Madrid")
            a.add_argument("topics", nargs="*")
            a.add_argument("--lang", default="en", help="es or en")
    a = actions.add_parser(
        "import",
        help='JSON lines: {"platform","workspace","channel","time","timezone","lang"} '
        "+ optional topics; a bad line is named and skipped",
    )
    a.add_argument("file", metavar="FILE.jsonl")
    json_everywhere(p, actions)
    p.set_defaults(func=cmd_subscriptions, action="list")

    p = sub.add_parser("reindex", help="re-embed every passage with the configured model")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_reindex)

    p = sub.add_parser("feedback", help="👍/👎 votes by channel and target kind")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_feedback)

    p = sub.add_parser("stats", help="what is stored and indexed")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_stats)

    from bot.doctor import add_parser as add_doctor  # ainews doctor (bot/doctor.py)

    add_doctor(sub, parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    quiet_blas_threads()  # before anything imports numpy
    _quiet_ml_libraries()
    args = build_parser().parse_args(argv)
    settings = load_settings()
    from bot.logs import setup_logging  # human or JSON lines (AINEWS_LOG_JSON), secrets masked

    setup_logging(settings, verbose=args.verbose)
    try:
        return int(args.func(args, settings))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into head & co.
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
