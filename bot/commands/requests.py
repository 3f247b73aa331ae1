"""Requests for news or writing said in a sentence the fixed patterns do not list.

A request is read as a frame, part by part, each part optional:

    [courtesy] [verb] [determiner] [recency] [noun] [recency] [about] TOPIC [noun]

"catch me up on Anthropic", "could you pull up the newest posts about Windsurf?",
"pásame las noticias más recientes de Perplexity", "look for articles that mention
Kubernetes". The frame must show it is a request (a verb that asks for news or writing, a
word for news, or how recent / "anything" followed by "on X") and the rest must read as a
topic, not a sentence; otherwise the text stays a question. It is ``search`` when it asks
for writing or for everything there is, unless it asks for the newest; else ``latest``.

A second frame reads asking what a maker put out lately, or is busy with, as its newest
stories: "what has Mistral shipped lately?", "¿en qué anda Cohere?". Without a word for how
recent ("what did OpenAI announce at DevDay?") it stays a question.

A third reads asking how a named subject has been faring ("¿qué pasó con Meta y Muse
Spark?") as its newest stories, and what a maker has been saying of a subject as a search for
both.
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
        "|give me the rundown|give me the lowdown|run me through|sum up|summarize|summarise"
        "|i want to catch up|i'd like to catch up|what's the latest|whats the latest"
        "|what's new|whats new|what is new|what's happening|what's going on",
    ),
    _table(
        "es",
        "latest",
        "ponme al dia|ponnos al dia|ponerme al dia|ponernos al dia|ponme al corriente"
        "|ponerme al corriente|actualizame|actualizarme|informame|informarme"
        "|mantenme al dia|mantenme al tanto|ponme al tanto|ponerme al tanto"
        "|resumeme|resumenos|hazme un resumen de|dame un resumen de",
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
        "show me|give me|gimme|send me|get me|bring me|show us|give us|send us|pull up|list"
        "|share|tell me|i want|i need|lemme see"
        "|i'd like|i would like|i want to see|let me see|do you have|have you got|got"
        "|what are|what're|is there|are there",
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
    _table("en", "search", "anything|something|everything|whatever|stuff|all"),
    _table("es", "search", "algo|todo|todo lo que|lo que"),
)
#: What may follow "anything"/"lo que": "whatever we have", "todo lo que tengas".
_HAVE = _merge(
    _table(
        "en",
        "",
        "you have|you've got|you got|we have|we've got|we got|i have|there is|there's"
        "|you can find|we can find|you know|that you have|that we have|out there",
    ),
    _table(
        "es",
        "",
        "tengas|tienes|tengamos|tenemos|tengan|haya|hay|encuentres|encontremos|sepas|sabes|sepamos",
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
#: How recent, said after the topic ("anything on Anthropic lately?"); the caller drops
#: these words before the frame is read and says whether they were there.
RECENT_AFTER = _merge(
    _table("en", "latest", "lately|recently|these days|this week|today"),
    _table("es", "latest", "ultimamente|recientemente|estos dias|esta semana|hoy"),
)
#: "what has Mistral shipped lately?", "¿qué ha sacado Perplexity últimamente?": asking
#: what a maker put out, and how recently, is asking for its newest stories.
_WHAT_DID = _merge(
    _table("en", "", "what has|what have|what did|what's|whats|what is"),
    _table("es", "", "que ha|que han|que"),
)
_PUT_OUT = _merge(
    _table(
        "en",
        "latest",
        "released|launched|shipped|announced|put out|published|unveiled|dropped|done"
        "|release|launch|ship|announce|publish|unveil|drop|do|come out with",
    ),
    _table(
        "es",
        "latest",
        "sacado|lanzado|anunciado|publicado|presentado|hecho|estrenado|saco|lanzo|anuncio"
        "|publico|presento|hizo|estreno",
    ),
)
#: Words that only say "tell me" before a question of what a maker put out.
_TELL = _table("en", "", "tell me|let me know") | _table("es", "", "cuentame|dime|contame")
#: Asking what a maker is busy with needs no word for how recent: "what's Groq been up
#: to?" (after the maker), "¿en qué anda Cohere?" (before it).
_BUSY = _table(
    "en",
    "latest",
    "been up to|up to|been doing|been working on|working on|been shipping|been releasing"
    "|been launching|been announcing|been publishing|been posting|been putting out",
)
_BUSY_FIRST = _table(
    "es",
    "latest",
    "en que anda|en que andan|que anda haciendo|que andan haciendo|en que trabaja"
    "|en que trabajan|en que esta trabajando|en que estan trabajando",
)
#: "what happened with Muse Spark?", "¿qué pasó con Meta y Muse Spark?": how a subject has
#: been faring, which its newest stories tell. The present "¿qué pasa con Qwen?" asks the
#: question and is answered.
_HAPPENED = _merge(
    _table(
        "en",
        "latest",
        "what happened with|what happened to|what's up with|whats up with",
    ),
    _table(
        "es",
        "latest",
        "que paso con|que ha pasado con|que esta pasando con|que onda con",
    ),
)
#: Words between the names of a topic: "Meta y Muse Spark", "Bank of America".
_JOINERS = frozenset({"y", "and", "&", "de", "of", "del", "the"})
#: "what has Anthropic been saying about the Department of Defense?": what a maker has
#: been saying of a subject is what has been written on both, so ``search``. A past "what
#: did X say about Y" asks for one statement and stays a question.
_BEEN_SAYING = _merge(
    _table(
        "en",
        "search",
        "been saying about|been writing about|been posting about|been blogging about"
        "|been talking about",
    ),
    _table(
        "es", "search", "ha estado diciendo sobre|ha estado diciendo de|ha estado escribiendo sobre"
    ),
)
#: After a verb that asks for the newest, what a maker has been doing, said as a clause:
#: "catch me up on what Ollama has been shipping", "ponme al día de lo que ha lanzado Mistral".
_CLAUSE = _table("en", "", "what|whatever") | _table("es", "", "lo que|que")
_AUXILIARY = _table("en", "", "has been|have been|has|have|is|are|was|were|had been") | _table(
    "es", "", "ha estado|han estado|ha|han|esta|estan|anda|andan"
)
_DOING = _merge(
    _PUT_OUT,
    _BUSY,
    _table(
        "en",
        "latest",
        "shipping|releasing|launching|announcing|publishing|putting out|unveiling|dropping"
        "|doing|working on|building",
    ),
    _table(
        "es",
        "latest",
        "sacando|lanzando|anunciando|publicando|presentando|haciendo|estrenando"
        "|trabajando en|preparando",
    ),
)

#: Words for news; each says whether it asks for the newest or for writing on a subject.
_NOUNS = _merge(
    _table(
        "en",
        "latest",
        "news|stories|headlines|updates|releases|announcements|launches|developments"
        "|happenings|items|news items|changes|changelogs|release notes",
    ),
    _table(
        "en",
        "search",
        "articles|posts|blog posts|papers|pieces|reads|writeups|coverage|essays|letters|episodes",
    ),
    _table(
        "es",
        "latest",
        "noticias|novedades|historias|titulares|lanzamientos|anuncios|actualizaciones"
        "|cambios|notas de la version",
    ),
    _table(
        "es",
        "search",
        "articulos|notas|publicaciones|posts|textos|papers|entradas|ensayos|cartas|episodios",
    ),
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
    keys: list[str],
    words: list[str],
    topic: Callable[[list[str]], str | None],
    *,
    recent: tuple[str, str] | None = None,
) -> tuple[str, str, str] | None:
    """(verb, topic, lang) when ``keys`` (folded ``words``) is a request for news or
    writing about a topic; ``topic`` turns the words left into one (None: a sentence).
    ``recent``: what ``ended_recently`` found after the topic, which the caller dropped."""
    told = _longest(keys, _longest(keys, 0, _COURTESY)[0], _TELL)[0]  # "cuéntame qué…"
    put_out = _read_put_out(keys[told:], words[told:], topic, recent)
    if put_out is not None:
        return put_out
    faring = _read_faring(keys[told:], words[told:], topic)
    if faring is not None:
        return faring
    i = 0
    said: list[tuple[str, str]] = [recent] if recent else []  # (lang, role) of each part

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
    if take(_EVERYTHING):
        take(_HAVE)  # "whatever we have on X"
    else:
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
        else:  # "Paul Graham essays on startup funding": the topic is both sides
            found, rest_keys, rest_words = _noun_between(rest_keys, rest_words)
            if found is not None:
                said.append(found)
                noun = True
    # How recent, or "anything", shows a request only before "on X" or a word for news:
    # "what are the latest download figures for Qwen?" is a question.
    if not (asking or noun or (about and len(said) > 1 + bool(recent))) or not rest_words:
        return None
    named = (asking and _clause_topic(rest_keys, rest_words, topic)) or topic(rest_words)
    if not named:
        return None
    roles = {role for _lang, role in said if role}
    verb = "latest" if "latest" in roles or "search" not in roles else "search"
    return verb, named, _language(lang for lang, _role in said)


def ended_recently(keys: list[str]) -> tuple[str, str] | None:
    """What closing words for how recent ("… lately", "… últimamente") say, if any."""
    for size in (2, 1):
        if len(keys) > size:
            found = RECENT_AFTER.get(tuple(keys[-size:]))
            if found is not None:
                return found
    return None


def _read_put_out(
    keys: list[str],
    words: list[str],
    topic: Callable[[list[str]], str | None],
    recent: tuple[str, str] | None,
) -> tuple[str, str, str] | None:
    """``latest`` about a maker asked what it put out lately: "what has Mistral shipped
    lately?" (the maker before the verb), "¿qué ha sacado Perplexity últimamente?" (after
    it), "what's Groq been up to?" (no word for how recent needed)."""
    start, busy_first = _longest(keys, 0, _BUSY_FIRST)
    if busy_first is not None:
        named = topic(words[start:])
        return ("latest", named, busy_first[0]) if named else None
    start, asked = _longest(keys, 0, _WHAT_DID)
    if asked is None:
        return None
    end, verb = _longest(keys, start, _PUT_OUT)
    if verb is not None:  # "qué ha sacado últimamente el AISI": how recent, then the maker
        end, between = _longest(keys, end, RECENT_AFTER)
        recent = recent or between
    named_words, busy = words[end:], False  # Spanish order: the verb, then the maker
    for size in (4, 3, 2, 1) if verb is None else ():
        tail = tuple(keys[-size:])
        if len(keys) - size > start and (tail in _PUT_OUT or tail in _BUSY):
            verb, busy = _PUT_OUT.get(tail) or _BUSY[tail], tail in _BUSY
            named_words = words[start:-size]
            break
    if verb is None or not (recent or busy) or not named_words:
        return None
    named = topic(named_words)
    if not named:
        return None
    return "latest", named, _language([asked[0], verb[0], *([recent[0]] if recent else [])])


def _read_faring(
    keys: list[str], words: list[str], topic: Callable[[list[str]], str | None]
) -> tuple[str, str, str] | None:
    """``latest`` about a subject asked how it has been faring ("what happened with X"),
    ``search`` for what a maker has been saying of a subject ("what has X been saying
    about Y": the topic is both)."""
    start, faring = _longest(keys, 0, _HAPPENED)
    if faring is not None:  # of a name: "what happened to the stock price…?" is a question
        named = topic(words[start:])
        if not named or not all(
            w[:1].isupper() or w[:1].isdigit() or w in _JOINERS for w in named.split()
        ):
            return None
        return "latest", named, faring[0]
    start, asked = _longest(keys, 0, _WHAT_DID)
    if asked is None:
        return None
    for at in range(start + 1, len(keys)):
        end, saying = _longest(keys, at, _BEEN_SAYING)
        if saying is None:
            continue
        maker, subject = topic(words[start:at]), topic(words[end:])
        if not maker or not subject:
            return None
        return "search", f"{maker} {subject}", saying[0]
    return None


def _clause_topic(
    keys: list[str], words: list[str], topic: Callable[[list[str]], str | None]
) -> str | None:
    """The maker a clause of doing names: "what Ollama has been shipping" (the maker first),
    "lo que ha lanzado Mistral" (the verb first)."""
    start, head = _longest(keys, 0, _CLAUSE)
    after_aux, aux = _longest(keys, start, _AUXILIARY)
    if head is None and aux is None:  # "todo lo que ha lanzado…" has lost its "lo que"
        return None
    end, verb = _longest(keys, after_aux, _DOING)
    if verb is not None:
        return topic(words[end:]) if end < len(words) else None
    if head is None:
        return None
    for size in (3, 2, 1):
        if len(keys) - size > start and tuple(keys[-size:]) in _DOING:
            stop = len(keys) - size
            for words_said in (2, 1):  # "has been", "is"
                if (
                    stop - words_said > start
                    and tuple(keys[stop - words_said : stop]) in _AUXILIARY
                ):
                    stop -= words_said
                    break
            return topic(words[start:stop])
    return None


def _noun_between(
    keys: list[str], words: list[str]
) -> tuple[tuple[str, str] | None, list[str], list[str]]:
    """A word for news between two parts of a topic ("Anthropic news about funding"), what
    it says, and the keys and words of the topic without it and its "about"."""
    for at in range(1, len(keys) - 2):
        end, found = _longest(keys, at, _NOUNS)
        if found is None:
            continue
        after, about = _longest(keys, end, _ABOUT)
        if about is not None and after < len(keys):
            return found, keys[:at] + keys[after:], words[:at] + words[after:]
        return None, keys, words
    return None, keys, words


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
