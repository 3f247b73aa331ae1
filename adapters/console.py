"""Console adapter: every command in a terminal, replies as plain text. No account needed."""

from __future__ import annotations

import sys
from typing import TextIO

from bot.i18n import t
from bot.reply import plain_text
from bot.service import Context, Service

QUIT = {"quit", "exit", "salir", "q", ":q"}
SESSION = Context(conversation="console")  # one conversation: follow-ups ("source?") work


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
        print(plain_text(reply) + "\n", file=stdout, flush=True)
