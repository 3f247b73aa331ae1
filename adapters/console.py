"""Console adapter: every command in a terminal, replies as plain text. No account needed."""

from __future__ import annotations

import sys
from typing import TextIO

from bot.i18n import t
from bot.reply import Reply
from bot.service import Context, Service

QUIT = {"quit", "exit", "salir", "q", ":q"}
SESSION = Context(conversation="console")  # one conversation: follow-ups ("source?") work


def render(reply: Reply) -> str:
    lines = [reply.text] if reply.text else []
    for n, card in enumerate(reply.cards, start=1):
        meta = " · ".join(
            x
            for x in (
                card.source,
                card.published_at.date().isoformat() if card.published_at else None,
                card.url,
            )
            if x
        )
        lines.append(f"{n}. {card.title}")
        if meta:
            lines.append(f"   {meta}")
        if card.snippet:
            lines.append(f"   {card.snippet}")
    for name, value in reply.fields:
        lines.append(f"{name}: {value}")
    return "\n".join(lines)


def run_console(service: Service, *, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    """Read commands line by line until EOF or ``quit``/``salir``."""
    interactive = stdin.isatty()
    articles = service.core.stats()["articles"]
    for lang in ("en", "es"):  # the user has not typed anything yet: greet in both
        print(t("welcome", lang, articles=articles), file=stdout, flush=True)
    while True:
        if interactive:
            stdout.write("ainews> ")
            stdout.flush()
        line = stdin.readline()
        if not line or line.strip().lower() in QUIT:
            return 0
        if not line.strip():
            continue
        reply = service.handle_text(line, SESSION)
        print(render(reply) + "\n", file=stdout, flush=True)
