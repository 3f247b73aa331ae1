"""Requests for news or writing said in a sentence the fixed patterns do not list.

A request is read as a frame, part by part, each part optional:

    [courtesy] [verb] [determiner] [recency] [noun] [recency] [about] TOPIC [noun]

"catch me up on Anthropic", "could you pull up the newest posts about Windsurf?",
"pásame las noticias más recientes de Perplexity", "look for articles that mention
Kubernetes". The frame must show it is a request (a verb that asks for news or writing, a
word for news, or how recent / "anything" followed by "on X") and the rest must read as a
topic, not a sentence; otherwise the text stays a question. It is ``search`` when it asks
for writing or for everything there is, unless it asks for the newest; else ``latest``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

#: A phrase table: folded words -> (language, role) ; role says what the words ask for.
_Table = dict[tuple[str, ...], tuple[str, str]]


def _table(lang: str, role: str, phrases: str) -> _Table:
    """``phrases`` separated by "|"; each phrase's words by spaces."""
    return {tuple(p.split()): (lang, role) for p in phrases.split("|") if p.strip()}


def _merge(*tables: _Table) -> _Table:
    merged: _Table = {}
    for table in tables:
        merged.update(table)
    return merged


_COURTESY = _merge(
    _table(
        "en",
        "",
        "hey|hi|hello|ok|okay|so|please|pls|plz|can you|could you|would you|will you|can u"
        "|could u|pls can you|please can you|would you mind",
    ),
    _table(
        "es",
        "",
        "oye|hola|ey|porfa|por favor|puedes|podrias|podes|me puedes|me podrias|nos puedes"
        "|serias tan amable de|quisiera|me gustaria",
    ),
)
#: Verbs that ask for the newest: "catch me up on X" needs no other word for news.
_LATEST_VERBS = _merge(
    _table(
        "en",
        "latest",
        "catch me up|catch us up|catch up|bring me up to speed|get me up to speed"
        "|fill me in|fill us in|update me|keep me posted|keep me updated|keep me in the loop"
        "|brief me|give me a rundown|give me a roundup|give me a recap|give me an update"
        "|i want to catch up|i'd like to catch up|what's the latest|whats the latest"
        "|what's new|whats new|what is new|what's happening|what's going on",
    ),
    _table(
        "es",
        "latest",
        "ponme al dia|ponnos al dia|ponerme al dia|ponernos al dia|ponme al corriente"
        "|ponerme al corriente|actualizame|actualizarme|informame|informarme"
        "|mantenme al dia|mantenme al tanto|ponme al tanto|ponerme al tanto",
    ),
)
#: Verbs that ask for writing on a subject: what is most relevant, so ``search``.
_SEARCH_VERBS = _merge(
    _table(
        "en",
        "search",
        "look for|look up|search for|search|find|find me|dig up|hunt down|i'm looking for"
        "|im looking for|i am looking for|looking for|i want to read|i'd like to read"
        "|let me read",
    ),
    _table(
        "es",
        "search",
        "busca|buscame|buscar|buscarme|encuentra|encuentrame|encontrar|encontrarme"
        "|quiero leer|me gustaria leer|estoy buscando|ando buscando",
    ),
)
#: Verbs that ask for something without saying what: a word after them must.
_GIVE_VERBS = _merge(
    _table(
        "en",
        "",
        "show me|give me|send me|get me|bring me|pull up|list|share|tell me|i want|i need"
        "|i'd like|i would like|i want to see|let me see|do you have|have you got|got"
        "|what are|what're",
    ),
    _table(
        "es",
        "",
        "pasame|pasarme|me pasas|mandame|mandarme|me mandas|enviame|enviarme|me envias"
        "|dame|darme|me das|muestrame|mostrarme|me muestras|ensename|ensenarme|me ensenas"
        "|traeme|traerme|me traes|cuentame|contarme|dime|decirme|quiero|quiero ver"
        "|necesito|tienes|tenes|tendras|hay|que",
    ),
)
_DETERMINERS = _merge(
    _table("en", "", "any|some|the|a few|all|all the|a couple of|a|an"),
    _table("es", "", "algunas|algunos|alguna|algun|unas|unos|las|los|lo|el|la|todas las|todos los"),
)
#: "anything on X", "todo lo que tengas sobre X": all there is, so ``search``.
_EVERYTHING = _merge(
    _table(
        "en",
        "search",
        "anything|something|everything|whatever|stuff|anything you have|anything you've got"
        "|everything you have|everything you've got|whatever you have|whatever you've got"
        "|whatever you can find|everything you can find|anything you can find",
    ),
    _table(
        "es",
        "search",
        "algo|todo|todo lo que tengas|todo lo que tienes|todo lo que haya|todo lo que hay"
        "|lo que tengas|lo que tienes|lo que haya|lo que hay|lo que encuentres",
    ),
)
_RECENT = _merge(
    _table(
        "en",
        "latest",
        "latest|newest|recent|most recent|freshest|fresh|new|last|current|today's"
        "|this week's|brand new",
    ),
    _table(
        "es",
        "latest",
        "ultimas|ultimos|ultima|ultimo|mas recientes|mas reciente|recientes|reciente|nuevas"
        "|nuevos|nueva|nuevo|mas nuevas|mas nuevos|frescas|frescos|de hoy|de esta semana",
    ),
)
#: Words for news; each says whether it asks for the newest or for writing on a subject.
_NOUNS = _merge(
    _table(
        "en",
        "latest",
        "news|stories|headlines|updates|releases|announcements|launches|developments"
        "|happenings|items|news items",
    ),
    _table("en", "search", "articles|posts|blog posts|papers|pieces|reads|writeups|coverage"),
    _table(
        "es",
        "latest",
        "noticias|novedades|historias|titulares|lanzamientos|anuncios|actualizaciones",
    ),
    _table("es", "search", "articulos|notas|publicaciones|posts|textos|papers|entradas"),
)
#: One-word names for news: what ``latest <word> <topic>`` may say before the topic.
NEWS_WORDS = frozenset(
    k[0] for k, (_lang, role) in _NOUNS.items() if len(k) == 1 and role == "latest"
)
_ABOUT = _merge(
    _table(
        "en",
        "",
        "on|about|from|for|regarding|re|concerning|around|with|covering|involving|related to"
        "|that mention|that mentions|mentioning|that talk about|that discuss|discussing"
        "|that cover|that covers|that involve|to do with|having to do with",
    ),
    _table(
        "es",
        "",
        "sobre|de|del|acerca de|acerca del|con|respecto a|respecto al|respecto de"
        "|relacionadas con|relacionados con|relacionado con|que mencionen|que mencionen a"
        "|que mencione|que mencione a|que hablen de|que hablen sobre|que hable de"
        "|que traten de|que traten sobre|en torno a|en torno al|referentes a",
    ),
)


def _longest(keys: list[str], i: int, table: _Table) -> tuple[int, tuple[str, str] | None]:
    """Index after the longest phrase of ``table`` at ``keys[i:]``, and what it says."""
    for size in range(min(6, len(keys) - i), 0, -1):
        found = table.get(tuple(keys[i : i + size]))
        if found is not None:
            return i + size, found
    return i, None


def read_request(
    keys: list[str], words: list[str], topic: Callable[[list[str]], str | None]
) -> tuple[str, str, str] | None:
    """(verb, topic, lang) when ``keys`` (folded ``words``) is a request for news or
    writing about a topic; ``topic`` turns the words left into one (None: a sentence)."""
    i = 0
    said: list[tuple[str, str]] = []  # (lang, role) of each part the frame consumed

    def take(table: _Table) -> bool:
        nonlocal i
        end, found = _longest(keys, i, table)
        if found is not None:
            i = end
            said.append(found)
        return found is not None

    while take(_COURTESY):
        pass
    asking = False  # a verb that asks for news or writing by itself
    for _ in range(2):  # "fill me in on what's the latest with X"
        if take(_LATEST_VERBS) or take(_SEARCH_VERBS):
            asking = True
        elif not take(_GIVE_VERBS):
            break
        take(_ABOUT)  # "catch me up on", "ponme al día con"
    noun = False
    if not take(_EVERYTHING):
        take(_DETERMINERS)
        take(_RECENT)
        noun = take(_NOUNS)
        take(_RECENT)  # "las noticias más recientes"
        if noun and i < len(keys) and keys[i] == "hay":
            i += 1  # "qué novedades recientes hay de X"
    about = take(_ABOUT)
    rest_keys, rest_words = keys[i:], words[i:]
    if said and not about and len(rest_keys) > 1:  # "the latest Groq releases": news after
        end, found = _noun_at_end(rest_keys)
        if found is not None:
            said.append(found)
            noun = True
            rest_keys, rest_words = rest_keys[:end], rest_words[:end]
    # How recent, or "anything", shows a request only before "on X" or a word for news:
    # "what are the latest download figures for Qwen?" is a question.
    if not (asking or noun or (about and len(said) > 1)) or not rest_words:
        return None
    named = topic(rest_words)
    if not named:
        return None
    roles = {role for _lang, role in said if role}
    verb = "latest" if "latest" in roles or "search" not in roles else "search"
    return verb, named, _language(lang for lang, _role in said)


def _noun_at_end(keys: list[str]) -> tuple[int, tuple[str, str] | None]:
    """Where a closing word for news starts ("Mistral releases"), and what it says."""
    for size in (2, 1):
        if len(keys) > size:
            found = _NOUNS.get(tuple(keys[-size:]))
            if found is not None:
                return len(keys) - size, found
    return len(keys), None


def _language(langs: Iterable[str]) -> str:
    """The language most of the frame's words are in (Spanish on a tie: English words
    such as "posts" are said in Spanish too)."""
    counted = list(langs)
    return "en" if counted.count("en") > counted.count("es") else "es"
