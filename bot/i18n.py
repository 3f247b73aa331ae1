"""User-facing strings in Spanish and English. Every reply goes through ``t()``."""

from __future__ import annotations

from typing import Any

Lang = str  # "es" | "en"

MESSAGES: dict[str, dict[str, str]] = {
    "empty_query": {
        "es": "La búsqueda está vacía. Escribe algunas palabras, por ejemplo: buscar Qwen",
        "en": "The query is empty. Type a few words, for example: search Qwen",
    },
    "query_too_long": {
        "es": "La búsqueda es demasiado larga ({length} caracteres; máximo {limit}). Acórtala.",
        "en": "The query is too long ({length} characters; at most {limit}). Please shorten it.",
    },
    "no_results": {
        "es": "No encontré artículos para «{query}».",
        "en": "No articles found for “{query}”.",
    },
    "database_unavailable": {
        "es": "La base de datos no responde ahora mismo. Inténtalo de nuevo en unos segundos.",
        "en": "The database is not answering right now. Please try again in a few seconds.",
    },
    "search_header": {
        "es": "Resultados para «{query}»:",
        "en": "Results for “{query}”:",
    },
    "help": {
        "es": (
            "Comandos de ainews:\n"
            "  buscar <consulta>   busca artículos (también: search)\n"
            "  ayuda               esta ayuda (también: help)\n"
            "  salir               termina la sesión de consola (también: quit)\n"
            "Texto sin comando = búsqueda."
        ),
        "en": (
            "ainews commands:\n"
            "  search <query>      search articles (also: buscar)\n"
            "  help                this help (also: ayuda)\n"
            "  quit                end the console session (also: salir)\n"
            "Text with no command = search."
        ),
    },
    "welcome": {
        "es": "ainews en modo consola ({articles} artículos). Escribe «ayuda» o una pregunta.",
        "en": "ainews console mode ({articles} articles). Type “help” or a question.",
    },
    "seeding": {
        "es": "Base de datos vacía: cargando los artículos de {path} …",
        "en": "Empty database: loading the articles in {path} …",
    },
}


def t(code: str, lang: Lang = "en", **params: Any) -> str:
    """The message ``code`` in ``lang`` (English if missing), formatted with ``params``."""
    table = MESSAGES.get(code)
    if table is None:
        return code
    template = table.get(lang) or table["en"]
    return template.format(**params)
