"""Parse what a user typed (any platform, Spanish or English) into a ``Command``.

One grammar for every platform: adapters strip their own syntax (``/ainews``,
the bot mention) and pass the rest here. Free text with no known verb is ``ask``.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.text import detect_lang, fold

VERBS: dict[str, tuple[str, str]] = {
    # alias -> (verb, language the alias implies; "" = either)
    "help": ("help", "en"),
    "ayuda": ("help", "es"),
    "?": ("help", ""),
    "search": ("search", "en"),
    "buscar": ("search", "es"),
    "busca": ("search", "es"),
    "find": ("search", "en"),
    "ask": ("ask", "en"),
    "preguntar": ("ask", "es"),
    "pregunta": ("ask", "es"),
    "latest": ("latest", "en"),
    "ultimas": ("latest", "es"),
    "ultimos": ("latest", "es"),
    "news": ("latest", "en"),
    "noticias": ("latest", "es"),
    "trending": ("trending", "en"),
    "tendencias": ("trending", "es"),
    "story": ("story", "en"),
    "historia": ("story", "es"),
    "noticia": ("story", "es"),
    "more": ("story", "en"),
    "digest": ("digest", "en"),
    "resumen": ("digest", "es"),
    "subscribe": ("subscribe", "en"),
    "suscribir": ("subscribe", "es"),
    "suscribirse": ("subscribe", "es"),
    "unsubscribe": ("unsubscribe", "en"),
    "desuscribir": ("unsubscribe", "es"),
    "desuscribirse": ("unsubscribe", "es"),
    "cancelar": ("unsubscribe", "es"),
    "subscriptions": ("subscriptions", "en"),
    "suscripciones": ("subscriptions", "es"),
    "sources": ("sources", "en"),
    "fuentes": ("sources", "es"),
    "lang": ("lang", ""),
    "language": ("lang", "en"),
    "idioma": ("lang", "es"),
    "history": ("history", "en"),
    "historial": ("history", "es"),
    "stats": ("stats", "en"),
    "estadisticas": ("stats", "es"),
}
MAX_COMMAND_CHARS = 2000


@dataclass(frozen=True, slots=True)
class Command:
    verb: str
    args: str
    lang: str  # language of the user's text
    raw: str = ""


def parse(text: str) -> Command:
    """First word is the verb if known (case- and accent-insensitive); free text is ``ask``."""
    stripped = " ".join(text.split())
    if not stripped:
        return Command("empty", "", "en", text)
    head, _, rest = stripped.partition(" ")
    known = VERBS.get(fold(head).strip("/¿?¡!.,:") or head)
    if known is None:
        return Command("ask", stripped, detect_lang(stripped), text)
    verb, implied = known
    lang = implied or (detect_lang(rest) if rest else "en")
    if implied == "en" and rest and detect_lang(rest) == "es":
        lang = "es"  # "search descargas de Qwen": the user writes Spanish
    return Command(verb, rest, lang, text)
