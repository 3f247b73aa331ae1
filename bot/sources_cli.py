"""``ainews sources``: list (with health), add, remove, enable, disable, defaults, poll, OPML.

Every action takes ``--json``, before or after its name (``ainews sources --json`` lists).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.settings import Settings
from bot.utc import aware

if TYPE_CHECKING:
    from bot.core import Core
    from bot.ingest.poller import SourcePoll
    from bot.models import Source
    from bot.sources import Added

#: ``(settings, **options) -> Core``: how the CLI builds its core.
MakeCore = Callable[..., "Core"]


def json_everywhere(parser: argparse.ArgumentParser, actions: Any) -> None:
    """``--json`` on a command and each of its actions, before or after the action's name
    (``ainews sources --json`` lists as JSON; an action's flag does not undo the command's)."""
    parser.add_argument("--json", action="store_true")
    for child in actions.choices.values():
        child.add_argument("--json", action="store_true", default=argparse.SUPPRESS)


def add_parser(sub: Any, make_core: MakeCore) -> None:
    """Register ``sources`` on the CLI's subparsers; ``make_core`` is how the CLI builds its
    core (``bot.cli._core``)."""
    p = sub.add_parser("sources", help="feed sources: list (with health), add, poll, OPML...")
    actions = p.add_subparsers(dest="action")
    actions.add_parser("list", help="sources with state, last error and next try")
    a = actions.add_parser("add", help="add a feed")
    a.add_argument("url")
    a.add_argument("--name")
    a.add_argument("--lang", choices=["es", "en"])
    a.add_argument("--full-text", action="store_true", help="items are teasers: fetch the pages")
    for action, text in (
        ("remove", "delete a source (its articles stay)"),
        ("enable", "enable a source and reset its failures and backoff"),
        ("disable", "stop polling a source"),
    ):
        actions.add_parser(action, help=text).add_argument("ref", metavar="ID|URL")
    a = actions.add_parser("defaults", help="add the curated feeds of config/feeds.toml")
    a.add_argument("--file", type=Path, help="another feeds TOML file")
    actions.add_parser("poll", help="poll every enabled source that is due now")
    a = actions.add_parser("import", help="add the feeds of an OPML file (or URL)")
    a.add_argument("file", metavar="FILE.opml|URL")
    a = actions.add_parser("export", help="write the feeds as OPML (default: stdout)")
    a.add_argument("file", nargs="?", type=Path, metavar="FILE.opml")
    json_everywhere(p, actions)
    p.set_defaults(func=partial(cmd_sources, make_core=make_core), action="list")


def cmd_sources(args: argparse.Namespace, settings: Settings, *, make_core: MakeCore) -> int:
    from bot.opml import OpmlError
    from bot.sources import SourceError

    # The model loads only if a poll finds new articles.
    core = make_core(settings, store_only=True)
    try:
        return ACTIONS[args.action](core, args)
    except (SourceError, OpmlError) as exc:
        print(exc.message("en"), file=sys.stderr)
        return 2
    except (OSError, ValueError) as exc:  # a missing or broken file
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        core.close()


def _print(args: argparse.Namespace, payload: dict[str, Any], text: str) -> None:
    print(json.dumps(payload, ensure_ascii=False, indent=2) if args.json else text)


def _row(source: Source) -> dict[str, Any]:
    from bot.sources import source_state

    def iso(value: Any) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": source.id,
        "name": source.name,
        "url": source.url,
        "lang": source.lang,
        "full_text": source.full_text,
        "enabled": source.enabled,
        "state": source_state(source),
        "last_success_at": iso(source.last_success_at),
        "last_error": source.last_error,
        "consecutive_failures": source.consecutive_failures,
        "next_try_at": iso(source.next_try_at),
        "disabled_reason": source.disabled_reason,
    }


def _list(core: Core, args: argparse.Namespace) -> int:
    from bot.sources import health, list_sources

    sources = list_sources(core)
    if args.json:
        _print(args, {"sources": [_row(s) for s in sources]}, "")
        return 0
    if not sources:
        print("no sources yet: `ainews sources defaults` adds the curated list")
    for s in sources:
        flags = ", ".join(x for x in (s.lang, "full text" if s.full_text else None) if x)
        print(f"{s.id:>3}. {s.name} <{s.url}>{f' ({flags})' if flags else ''}")
        print(f"     {health(s)}")
    return 0


def _add(core: Core, args: argparse.Namespace) -> int:
    from bot.sources import add_source

    source = add_source(core, args.url, name=args.name, lang=args.lang, full_text=args.full_text)
    _print(args, _row(source), f"added source {source.id}: {source.name} <{source.url}>")
    return 0


def _remove(core: Core, args: argparse.Namespace) -> int:
    from bot.sources import remove_source

    source = remove_source(core, args.ref)
    _print(args, _row(source), f"removed source {source.id}: {source.name} <{source.url}>")
    return 0


def _enable(core: Core, args: argparse.Namespace) -> int:
    from bot.sources import set_enabled

    source = set_enabled(core, args.ref, args.action == "enable")
    _print(args, _row(source), f"{args.action}d source {source.id}: {source.name}")
    return 0


def _added(args: argparse.Namespace, result: Added, skipped: list[tuple[str, str]]) -> int:
    """Report an import or ``defaults``: each new source, then what was left out and why."""
    from bot.i18n import t

    refused = [(url, exc.message("en")) for url, exc in result.refused]
    refused += [(label, t(code, "en")) for label, code in skipped]
    if args.json:
        payload = {
            "added": [_row(s) for s in result.added],
            "already_present": result.present,
            "refused": [{"entry": entry, "reason": reason} for entry, reason in refused],
        }
        _print(args, payload, "")
    else:
        for source in result.added:
            print(f"added source {source.id}: {source.name} <{source.url}>")
        for entry, reason in refused:
            print(f"refused {entry}: {reason}", file=sys.stderr)
        print(
            f"{len(result.added)} added, {len(result.present)} already present, "
            f"{len(refused)} refused"
        )
    return 1 if refused else 0


def _defaults(core: Core, args: argparse.Namespace) -> int:
    from bot.sources import add_defaults

    return _added(args, add_defaults(core, args.file), [])


def _import(core: Core, args: argparse.Namespace) -> int:
    from bot.opml import import_opml

    return _added(args, *import_opml(core, args.file, files=True))


def _export(core: Core, args: argparse.Namespace) -> int:
    from bot.opml import export_feeds

    document, count = export_feeds(core)
    if args.file is None and not args.json:
        sys.stdout.buffer.write(document)
        return 0
    if args.file is not None:
        args.file.write_bytes(document)
    payload = {"file": str(args.file) if args.file else None, "sources": count}
    if args.file is None:
        payload["opml"] = document.decode()
    _print(args, payload, f"wrote {count} sources to {args.file}")
    return 0


def _poll(core: Core, args: argparse.Namespace) -> int:
    from bot.ingest.poller import Poller, make_fetcher
    from bot.progress import Progress

    with make_fetcher(core.settings) as fetcher:
        poller = Poller(core, fetcher)
        due = poller.due_sources()
        with Progress(len(due), "source", quiet=args.json) as progress:
            poller.progress = lambda poll: progress.done(_poll_line(poll))
            report = poller.poll_all(due)
    if args.json:
        _print(args, {"sources": [_poll_json(s) for s in report.sources]}, "")
    elif not due:
        print(_nothing_due(core))
    else:
        print(f"{report.new} new articles from {len(report.sources)} sources")
    return 1 if report.failed else 0


def _nothing_due(core: Core) -> str:
    from bot.sources import list_sources

    waiting = [s.next_try_at for s in list_sources(core) if s.enabled and s.next_try_at]
    if not waiting:
        return "no enabled feed sources: `ainews sources add URL` or `ainews sources defaults`"
    first = min(aware(w) for w in waiting)
    return (
        f"nothing due: {len(waiting)} failing source(s) backing off, the next one is tried "
        f"at {first:%Y-%m-%d %H:%M} UTC (`ainews sources enable ID` retries one now)"
    )


def _poll_line(s: SourcePoll) -> str:
    if s.error:
        state = f"FAILED: {s.error}"
        if s.next_try_at:
            state += f" (backing off: next try {s.next_try_at:%Y-%m-%d %H:%M} UTC)"
    elif s.not_modified:
        state = "not modified"
    else:
        state = f"{s.new} new, {s.duplicates} duplicate, {s.failed_items} failed"
        if s.change == "recovered":
            state += " (recovered)"
    return f"{s.source_id:>3}. {s.name}: {state}"


def _poll_json(s: SourcePoll) -> dict[str, Any]:
    row = dict(vars(s))
    row["next_try_at"] = s.next_try_at.isoformat() if s.next_try_at else None
    return row


ACTIONS = {
    "list": _list,
    "add": _add,
    "remove": _remove,
    "enable": _enable,
    "disable": _enable,
    "defaults": _defaults,
    "poll": _poll,
    "import": _import,
    "export": _export,
}
