"""Parse what a user typed (any platform, Spanish or English) into a ``Command``."""

from __future__ import annotations

from dataclasses import dataclass

from bot.text import detect_lang

ALIASES: dict[str, str] = {
    "help": "help", "ayuda": "help", "?": "help",
    "search": "search", "buscar": "search", "busca": "search", "find": "search",
}


@dataclass(frozen=True, slots=True)
class Command:
    verb: str
    args: str
    lang: str  # language of the user's text


def parse(text: str) -> Command:
    """First word is the verb if known (case- and accent-insensitive); free text is a search."""
    stripped = " ".join(text.split())
    lang = detect_lang(stripped) if stripped else "en"
    if not stripped:
        return Command("help", "", lang)
    head, _, rest = stripped.partition(" ")
    verb = ALIASES.get(head.lower().strip("/"))
    if verb is None:
        return Command("search", stripped, lang)
    if head.lower() in {"ayuda", "buscar", "busca"}:
        lang = "es"
    return Command(verb, rest, lang)
