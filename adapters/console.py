"""Console adapter: every command in a terminal, replies as plain text. No account needed."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import TextIO

from bot.i18n import t
from bot.reply import Attachment, plain_text
from bot.service import Context, Service

QUIT = {"quit", "exit", "salir", "q", ":q"}
SESSION = Context(conversation="console")  # one conversation: follow-ups ("source?") work


def run_console(
    service: Service,
    *,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
    folder: Path | None = None,
) -> int:
    """Read commands line by line until EOF or ``quit``/``salir``. A reply's files (a chart,
    an OPML export) are written to ``folder`` (default: the working directory)."""
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
        lines = [plain_text(reply)]
        for file in reply.files:
            path = save(file, folder or Path.cwd())
            if path is None:
                lines.append(t("file_not_attached", reply.lang, name=file.filename))
            else:
                lines.append(t("file_saved", reply.lang, path=path))
        print("\n".join(lines) + "\n", file=stdout, flush=True)


def save(file: Attachment, folder: Path) -> Path | None:
    """Write ``file`` into ``folder`` under its own name, never over an existing file
    (``trending-7d-2.png``); in a temporary folder when ``folder`` cannot be written.
    None when neither can."""
    name = Path(file.filename).name or "file"
    for place in (folder, Path(tempfile.gettempdir())):
        stem, suffix = Path(name).stem, Path(name).suffix
        for n in range(1, 1000):
            path = place / (name if n == 1 else f"{stem}-{n}{suffix}")
            try:
                with path.open("xb") as out:  # "x": fails if it exists, never overwrites
                    out.write(file.data)
                return path
            except FileExistsError:
                continue
            except OSError:
                break  # this folder cannot be written: the next one
    return None
