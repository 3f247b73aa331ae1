"""Parse what a user typed (any platform, Spanish or English) into a ``Command``.

One grammar for every platform: adapters strip their own syntax (``/ainews``,
the bot mention) and pass the rest here.

A verb is a command only when what follows fits its arguments: ``story 12`` is a
story, "story of DeepSeek's founding" is a question. Requests for the newest
stories about something ("noticias sobre Qwen", "what's new with Mistral", "lo
último de OpenAI") become ``latest`` with the topic. Anything else is ``ask`` with
the whole text, so a natural sentence never gets a usage error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

from bot.commands.requests import NEWS_WORDS, ended_recently, read_request
from bot.text import STOPWORDS, clean_text, detect_lang, fold
from bot.topics import TopicsError, tokens

LATEST_MAX = 20  # ``latest [n]``: at most this many stories
MAX_TOPIC_WORDS = 8
MAX_TOPIC_CHARS = 100


@dataclass(frozen=True, slots=True)
class Command:
    verb: str
    args: str  # for ``latest``: ``[n] [topic]``, e.g. "3 Qwen", "Qwen", "3" or ""
    lang: str  # language of the user's text
    raw: str = ""


#: What a command's arguments may be: ``(rest, canonical) -> args`` (possibly normalized),
#: or None when ``rest`` does not fit and the text is something else (usually a question).
#: ``canonical`` says the verb was typed as the command's own name (``story``, ``historia``)
#: rather than a loose synonym (``more``), which some shapes accept more of.
Shape = Callable[[str, bool], str | None]
#: alias (folded) -> (verb, language the alias implies; "" = either)
Aliases = Mapping[str, tuple[str, str]]
#: The verb for text that is no command: a question.
FALLBACK = "ask"


def parse(
    text: str, aliases: Aliases, shapes: Mapping[str, Shape], canonical: Collection[str]
) -> Command:
    """First word is the verb if known (case- and accent-insensitive) and the rest fits it;
    a request for news about something is ``latest``; anything else is ``ask``."""
    stripped = " ".join(clean_text(text).split())  # adapters parse raw text too
    if not stripped:
        return Command("empty", "", "en", text)
    head, _, rest = stripped.partition(" ")
    alias = fold(head).strip("/¿?¡!.,:") or head
    known = aliases.get(alias)
    if known is not None:
        verb, implied = known
        args = shapes[verb](rest, alias in canonical)
        if args is not None:
            lang = implied or (detect_lang(rest) if rest else "en")
            if implied == "en" and rest and detect_lang(rest) == "es":
                lang = "es"  # "search descargas de Qwen": the user writes Spanish
            return Command(verb, args, lang, text)
    natural = _news_request(stripped.split())
    if natural is not None:
        verb, topic, lang = natural
        return Command(verb, topic, lang, text)
    return Command(FALLBACK, stripped, detect_lang(stripped), text)


def latest_parts(args: str) -> tuple[str, str]:
    """``latest`` arguments as ``(count, topic)``: "3 Qwen" -> ("3", "Qwen"), "Qwen" ->
    ("", "Qwen"), "500" -> ("500", "") (a bad count, for the handler to refuse). A leading
    number outside 1..LATEST_MAX with words after it is part of the topic ("2025 models")."""
    head, _, rest = args.strip().partition(" ")
    if head.isascii() and head.isdigit() and (not rest or 1 <= int(head) <= LATEST_MAX):
        return head, rest.strip()
    return "", args.strip()


# -- argument shapes -------------------------------------------------------------------------

# Words that make a phrase a sentence rather than a name: pronouns, auxiliaries, question
# words. A topic ("Qwen", "Hugging Face", "chips de Nvidia") has none of them.
_SENTENCE_WORDS = frozenset(
    """i you he she we they it me him them my your our their its mine yours is are was were
    be been being am do does did have has had can could will would should might must shall
    what how why who whom whose when where which whether if than because not there that this
    these those don doesn didn isn aren wasn weren won wouldn shouldn couldn haven hasn
    yo tu usted ustedes nosotros vosotros ellos ellas te se nos les le es son fue fueron era
    eran ser sido estar esta estan estaba estaban estoy hemos habia hay hubo tiene tienen
    tenia tengo puede pueden podria puedo va van voy hace hacen hizo hicieron sabe saben que
    como cuando donde quien quienes cual cuales cuanto cuanta cuantos cuantas porque si
    ni trajo trae traen trajeron incluye incluyen incluyo introdujo introduce anadio anade
    brought brings include includes included introduced introduces""".split()
)
#: A build number ("1.13.107", "1.9566.1015"): "what's new in Windsurf Next 1.13.107" asks
#: what that one release holds, which ``ask`` reads from its notes.
_BUILD = re.compile(r"\b\d+\.\d+\.\d+\b")
_ALL_STOPWORDS = STOPWORDS["es"] | STOPWORDS["en"]
_POLITE = frozenset("please pls plz por favor now ahora".split())


def _words(text: str) -> frozenset[str]:
    return _POLITE | frozenset(text.split())


# What may follow a verb that takes no arguments ("cancelar la suscripción", "resumen de hoy").
_FILLERS: dict[str, frozenset[str]] = {
    "help": _words("me"),
    "digest": _words("today hoy de del dia preview vista previa daily diario this channel the"),
    "unsubscribe": _words(
        "me us this channel the from digest my subscription daily la el mi este esta canal"
        " resumen suscripcion de del al diario"
    ),
    "subscriptions": _words("this server este servidor de del the"),
    "history": _words("this channel este canal de del the"),
    "stats": _POLITE,
    "feedback": _words("this server channel workspace este servidor canal espacio de del the"),
    "trending": _words(
        "topics temas today hoy this week esta semana de la in en ai ia days day dias dia"
    ),
}
# Dropped from ``subscribe``'s arguments, so "subscribe to Qwen" subscribes to "Qwen".
_SUBSCRIBE_FILLERS = _words(
    "me us this channel to the for daily digest news este canal al a el resumen diario noticias"
)
_SOURCE_ACTIONS = frozenset(
    {"add", "agregar", "anadir", "remove", "quitar", "borrar", "list", "ver", "lista", "listar"}
    | {"import", "importar", "export", "exportar"}
)
_LANG_NAMES = {
    "es": "es",
    "en": "en",
    "espanol": "es",
    "castellano": "es",
    "spanish": "es",
    "english": "en",
    "ingles": "en",
}
_APOSTROPHES = str.maketrans({c: "'" for c in "’‘`´"})


def _key(word: str) -> str:
    """A word as the grammar compares it: folded, apostrophes unified, edge punctuation off."""
    return fold(word).translate(_APOSTROPHES).lstrip("¿¡\"'«“(").rstrip("?!.,;:…\"'»”)")


def _keys(rest: str) -> tuple[list[str], list[str]]:
    words = rest.split()
    return words, [_key(w) for w in words]


def free(rest: str, canonical: bool) -> str | None:
    """Any text (``search``, ``ask``)."""
    return rest


def no_args(verb: str) -> Shape:
    """No arguments, only courtesy words (``cancelar la suscripción``, ``resumen de hoy``)."""
    fillers = _FILLERS.get(verb, _POLITE)

    def shape(rest: str, canonical: bool) -> str | None:
        return "" if all(k in fillers for k in _keys(rest)[1]) else None

    return shape


def help_topic(rest: str, canonical: bool) -> str | None:
    """``help`` or ``help search``."""
    words = rest.split()
    return rest if len(words) == 1 else no_args("help")(rest, canonical)


def latest(rest: str, canonical: bool) -> str | None:
    """``[n] [news] [on|sobre] [topic]``."""
    return _latest_args(rest.split())


def story(rest: str, canonical: bool) -> str | None:
    """A story id; "story of DeepSeek's founding" and a bare "more" are not one."""
    if re.fullmatch(r"#?\d+", rest):
        return rest
    # "story abc": the command's own name and one word is a command; its usage explains ids.
    return rest if canonical and len(rest.split()) <= 1 else None


def trending(rest: str, canonical: bool) -> str | None:
    """An optional number of days, among courtesy words ("tendencias de la semana")."""
    words, keys = _keys(rest)
    numbers = [k for k in keys if k not in _FILLERS["trending"]]
    if not numbers:
        return ""
    if len(numbers) == 1 and (numbers[0].isdigit() or len(words) == 1):
        typed = words[keys.index(numbers[0])]
        # "²" folds to "2"; only digits as typed are a count ("trending ²": usage).
        superscript = any(c.isdigit() and not c.isdecimal() for c in typed)
        return numbers[0] if numbers[0].isdigit() and not superscript else rest
    return None


def language(rest: str, canonical: bool) -> str | None:
    """``es``/``en`` or a language's name; a loose alias ("language") takes only those."""
    words, keys = _keys(rest)
    if not words:
        return ""
    if len(words) == 1 and (keys[0] in _LANG_NAMES or canonical):
        return _LANG_NAMES.get(keys[0], rest)
    return None


def sources(rest: str, canonical: bool) -> str | None:
    """Nothing (the list), or an action and its target."""
    words, keys = _keys(rest)
    if not words:
        return ""
    if keys[0] in _SOURCE_ACTIONS and len(words) <= 2:
        return rest
    return None


def subscribe(rest: str, canonical: bool) -> str | None:
    """Times, timezones, options and topic words."""
    return _subscribe_args(rest.split())


def _subscribe_args(words: list[str]) -> str | None:
    """Times, timezones, options and topic words; a sentence ("subscribe me to the news?")
    is not a subscription. Courtesy words are dropped. A quoted phrase ("Hugging Face",
    -"stock price") is a topic as written; unbalanced quotes are left for ``subscribe`` to
    explain."""
    try:
        parts = tokens(" ".join(words))
    except TopicsError:
        return " ".join(words)
    kept = []
    for word, quoted in parts:
        if quoted:
            minus = "-" if word.startswith("-") else ""
            kept.append(f'{minus}"{word.removeprefix(minus)}"')
            continue
        key = _key(word)
        if key in _SUBSCRIBE_FILLERS:
            continue
        if "?" in word:
            return None
        if not (key[:1].isdigit() or "/" in word or "=" in word):
            if key in _ALL_STOPWORDS or key in _SENTENCE_WORDS:
                return None
            if not re.fullmatch(r"[\w.+-]+", key):
                return None
        kept.append(word)
    return " ".join(kept)


# -- latest and requests for news ------------------------------------------------------------

_EN_ABOUT = r"(?:on|about|from|for|regarding|re|with|at|in|around|concerning)"
_ES_ABOUT = (
    r"(?:sobre|de|del|acerca de|acerca del|en torno a|en torno al|respecto a|respecto al"
    r"|respecto de|respecto del|con|en|desde)"
)
# After a ``latest`` verb: "latest [n] [news] [on] <topic>".
_LATEST_NOUN = re.compile(rf"(?:{'|'.join(sorted(NEWS_WORDS))})(?= |$)")
_LATEST_ABOUT = re.compile(rf"(?:{_EN_ABOUT}|{_ES_ABOUT})(?= |$)")
_ARTICLES = frozenset({"the", "el", "la", "los", "las"})
_TRAILING = (
    ("today",),
    ("now",),
    ("please",),
    ("pls",),
    ("this", "week"),
    ("this", "morning"),
    ("hoy",),
    ("ahora",),
    ("por", "favor"),
    ("esta", "semana"),
    ("de", "hoy"),
    ("del", "dia"),
    ("de", "esta", "semana"),
    ("lately",),
    ("recently",),
    ("these", "days"),
    ("ultimamente",),
    ("recientemente",),
    ("estos", "dias"),
)

_CHAT_QUE = frozenset({"q", "k", "ke", "qe"})  # how chat writes "qué"
_WHATS = r"(?:what's|whats|what is|what are)"
_TELL_ME = r"(?:tell|show|give) me"
_ES_TELL_ME = r"(?:cuentame|cuentanos|dime|hablame|muestrame|dame|ensename)"
# Full requests with no topic: the newest stories.
_BARE: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), lang)
    for p, lang in (
        (rf"(?:{_WHATS} )?(?:the )?(?:new|latest|newest)(?: news| stories)?", "en"),
        (r"(?:is there )?(?:any|anything) (?:news|new)", "en"),
        (r"(?:the )?(?:recent|latest) (?:news|stories|headlines)", "en"),
        (r"more(?: news| stories| headlines)?", "en"),
        (rf"{_TELL_ME}(?: the)? (?:news|latest|latest news|newest stories)", "en"),
        (r"(?:que )?hay (?:de nuevo|novedades|noticias)", "es"),
        (r"(?:que )?novedades hay", "es"),
        (r"(?:lo )?(?:ultimo|mas reciente|mas nuevo)", "es"),
        (r"(?:alguna |algunas )?(?:novedad|novedades|noticia)", "es"),
        (r"(?:las )?ultimas(?: noticias| novedades| historias)?", "es"),
        (r"mas(?: noticias| novedades| historias)?", "es"),
        (rf"{_ES_TELL_ME}(?: lo ultimo| las ultimas| las ultimas noticias| las noticias)", "es"),
        (rf"{_ES_TELL_ME}(?: las)?(?: ultimas)? (?:noticias|novedades)", "es"),
    )
)


def _prefix_patterns(*pairs: tuple[str, str]) -> tuple[tuple[re.Pattern[str], str], ...]:
    """Each ``(pattern, lang)`` compiled to match a prefix that a space follows."""
    return tuple((re.compile(p + r"(?= )"), lang) for p, lang in pairs)


# Prefixes asking for news about what follows ("noticias sobre <topic>").
_ABOUT = _prefix_patterns(
    (
        r"(?:any |the |some )?(?:latest|newest|recent|last|fresh)"
        rf"(?: news| stories| headlines| updates)? {_EN_ABOUT}",
        "en",
    ),
    (rf"(?:any |the |some )?(?:news|stories|headlines|updates) {_EN_ABOUT}", "en"),
    (
        rf"{_WHATS}(?: been)?(?: the)? (?:new|latest|newest|news|happening|going on)"
        rf"(?: news| stories)? {_EN_ABOUT}",
        "en",
    ),
    (rf"(?:is there )?(?:anything|something) (?:new|recent|fresh) {_EN_ABOUT}", "en"),
    (
        rf"(?:{_TELL_ME} )?(?:the )?(?:\d+ )?(?:latest|newest|last|most recent)(?: \d+)?"
        rf"(?: news| stories| headlines| updates)? {_EN_ABOUT}",
        "en",
    ),
    (
        rf"{_TELL_ME}(?: more| the latest| the latest news| the news| some news| news"
        r"| the newest stories| everything| stories| articles| headlines)?"
        r" (?:about|on|regarding)",
        "en",
    ),
    (r"more(?: news| stories| headlines| articles)? (?:about|on|regarding|from)", "en"),
    (
        rf"(?:las |los )?(?:ultimas|ultimos)(?: noticias| novedades| historias)? {_ES_ABOUT}",
        "es",
    ),
    (
        r"(?:las |alguna |algunas |hay |que )?(?:noticia|noticias|novedad|novedades)"
        rf" {_ES_ABOUT}",
        "es",
    ),
    (
        r"que hay(?: de nuevo (?:sobre|de|del|con|en|acerca de|acerca del)"
        r"| (?:sobre|de|del|con|acerca de|acerca del))",
        "es",
    ),
    (rf"(?:que )?(?:novedades|noticias) hay {_ES_ABOUT}", "es"),
    (rf"(?:hay |que hay de )?algo (?:nuevo|reciente|nueva) {_ES_ABOUT}", "es"),
    (
        rf"(?:{_ES_TELL_ME} )?(?:las |los )?(?:\d+ )?(?:ultimas|ultimos)(?: \d+)?"
        rf"(?: noticias| novedades| historias| titulares)? {_ES_ABOUT}",
        "es",
    ),
    (rf"(?:lo )?(?:ultimo|mas reciente|mas nuevo) {_ES_ABOUT}", "es"),
    (
        rf"{_ES_TELL_ME}(?: mas| algo| lo ultimo| lo mas reciente| las ultimas noticias"
        r"| las ultimas| las noticias| noticias| novedades)?"
        r" (?:sobre|de|del|acerca de|acerca del)",
        "es",
    ),
    (
        r"mas(?: noticias| novedades| informacion| info| historias)?"
        r" (?:sobre|acerca de|acerca del)"
        r"|mas (?:noticias|novedades|historias) (?:de|del)",
        "es",
    ),
    (r"que se sabe (?:de|del|sobre|acerca de|acerca del)", "es"),
)
_DIG = r"find|find me|dig up|look up|pull up|fetch|get me|i need|i want|send me"
_ES_DIG = (
    r"necesito|quiero|pasame|mandame|busca|buscame|encuentra|encuentrame|traeme|dame|muestrame"
)
_ES_HAVE = r"tengas|tienes|tengan|haya|hay|encuentres|sepas|sabes"
#: Prefixes asking for writing on a subject ("articles about test set contamination"): what
#: is most relevant, not what is newest, so ``search``.
_WRITING_ABOUT = _prefix_patterns(
    (
        rf"(?:(?:{_TELL_ME}|find|find me) )?(?:any |some |the )?(?:articles|posts|blog posts"
        rf"|papers|pieces|reads|writeups|write-ups|info|information|details) {_EN_ABOUT}",
        "en",
    ),
    (
        rf"(?:(?:{_ES_TELL_ME}|busca|buscame) )?(?:algun |algunos |algunas |los |las )?"
        r"(?:articulos|articulo|notas|publicaciones|posts|textos|papers|info|informacion|detalles)"
        r" (?:sobre|acerca de|acerca del|de|del)",
        "es",
    ),
    # "dig up whatever you've got on X", "necesito todo lo que tengas sobre X": all there is
    # ("got anything on X?", "¿tienes algo sobre X?" are read by bot.commands.requests).
    (
        rf"(?:(?:{_DIG}) )?(?:everything|anything|whatever|all|stuff)"
        r"(?: that)? (?:you've got|you have|you got|you can find|you know|there is)"
        rf" {_EN_ABOUT}"
        rf"|(?:{_DIG}) (?:everything|anything|whatever|all|stuff) {_EN_ABOUT}"
        rf"|what (?:do you have|have you got|you've got|you got) {_EN_ABOUT}",
        "en",
    ),
    (
        rf"(?:(?:{_ES_DIG}) )?todo lo que (?:{_ES_HAVE}) (?:sobre|acerca de|acerca del|de|del)"
        rf"|(?:{_ES_DIG}) lo que (?:{_ES_HAVE}) (?:sobre|acerca de|acerca del|de|del)",
        "es",
    ),
)


def _eat(keys: list[str], start: int, pattern: re.Pattern[str]) -> int:
    """Index after the words ``pattern`` matches at ``keys[start:]`` (``start`` if none)."""
    match = pattern.match(" ".join(keys[start:]))
    return start + len(match.group(0).split()) if match else start


def _latest_args(words: list[str]) -> str | None:
    """``[n] [news] [on|sobre] [topic]`` -> "n topic", or None when the topic is a sentence."""
    words = [w for w in words if _key(w)]
    keys = [_key(w) for w in words]
    count = ""
    i = 0
    if keys and keys[0].isascii() and keys[0].isdigit():
        count, i = keys[0], 1
    i = _eat(keys, i, _LATEST_NOUN)
    i = _eat(keys, i, _LATEST_ABOUT)
    end = len(words)
    if end > i + 1 and _LATEST_NOUN.fullmatch(keys[-1]):
        end -= 1  # "latest ollama news": the news is the command's, the topic is ollama
    topic = _topic(words[i:end])
    if topic is None:
        return None
    return f"{count} {topic}".strip()  # "latest 2025 models": latest_parts reads a topic


def _news_request(words: list[str]) -> tuple[str, str, str] | None:
    """(verb, "topic", lang) when the text asks for the newest stories (about something),
    or for articles on a subject."""
    words = [w for w in words if _key(w)]
    keys = [_key(w) for w in words]
    recent = ended_recently(keys)
    keys, words = _drop_trailing(keys, words, keep=1)
    if keys and keys[0] in _CHAT_QUE:
        keys[0] = "que"  # "q hay de nuevo de Cohere?"
    phrase = " ".join(keys)
    for pattern, lang in _BARE:
        if pattern.fullmatch(phrase):
            return "latest", "", lang
    for verb, prefixes in (("search", _WRITING_ABOUT), ("latest", _ABOUT)):
        for pattern, lang in prefixes:
            match = pattern.match(phrase)
            if match is None:
                continue
            topic = _topic(words[len(match.group(0).split()) :])
            count = next((k for k in match.group(0).split() if k.isdigit()), "")
            asked = "latest" if recent else verb  # "anything on Gemini lately?"
            return (asked, f"{count} {topic}".strip(), lang) if topic else None
    named = _named_news(keys, words)
    if named:
        return ("latest", *named)
    return read_request(keys, words, _topic, recent=recent)


#: "Llama news", "newest Nemotron news", "give me the latest Gemini stories": the topic
#: first, then the word for news.
_NEWS_AFTER = re.compile(
    rf"(?:{_TELL_ME} |any )?(?:the )?(?:(?:latest|newest|recent|last|fresh) )?(?=.)"
)
_NEWS_WORD = frozenset({"news", "stories", "headlines", "updates"})
#: What is said of news, not what it is about: "any good news?" asks for the newest.
_OF_NEWS = frozenset("good bad big great real fake interesting cool important other more".split())


def _named_news(keys: list[str], words: list[str]) -> tuple[str, str] | None:
    if len(keys) < 2 or keys[-1] not in _NEWS_WORD:
        return None
    match = _NEWS_AFTER.match(" ".join(keys[:-1]))
    start = len(match.group(0).split()) if match else 0
    named = words[start:-1]
    asked = start > 0  # "any ollama news", "recent qwen stories": a request, typed lowercase
    if asked and all(k in _OF_NEWS for k in keys[start:-1]):
        return "", "en"
    if not named or not (asked or all(w[:1].isupper() or w[:1].isdigit() for w in named)):
        return None  # "fake news", "good news": only a name before "news" is a topic
    topic = _topic(named)
    return (topic, "en") if topic else None


#: Words that join the names of one subject: "Engram de Weaviate", "Bank of America".
_OF = frozenset({"de", "del", "of"})
#: "what is", "¿qué es…?", "cuéntame quién es": a question asking to have what follows defined
_DEFINE = re.compile(
    rf"(?:(?:{_TELL_ME}|{_ES_TELL_ME}|explain|explica|explicame) )?"
    r"(?:what's|whats|who's|(?:what|who|que|quien|quienes) (?:is|are|es|son))"
)


def defined(question: str) -> str | None:
    """The name "what is X?" / "¿qué es X?" asks about ("Goodfire", "Hugging Face"), or None
    when the question asks something else ("what is Groq's valuation?" asks a fact)."""
    words, keys = _keys(question)
    for end in range(1, min(5, len(keys))):
        if _DEFINE.fullmatch(" ".join(keys[:end])):
            topic = _topic(words[end:])
            if not topic:
                return None
            parts = topic.split()  # "Le Chat", "GPT-5"; "Engram de Weaviate", not "CEO de X"
            joined = not parts[0].isupper() and any(w in _OF for w in parts[1:-1])
            named = all(
                re.search(r"[A-Z\d]", w) or (joined and 0 < i < len(parts) - 1 and w in _OF)
                for i, w in enumerate(parts)
            )
            one_word = len(parts) == 1 and "'" not in _key(topic)
            return topic if named or one_word else None
    return None


def _drop_trailing(
    keys: list[str], words: list[str], *, keep: int = 0
) -> tuple[list[str], list[str]]:
    """Without closing courtesy and time words ("… today", "… por favor"); ``keep`` words stay."""
    changed = True
    while changed and keys:
        changed = False
        for tail in _TRAILING:
            if len(keys) >= len(tail) + keep and tuple(keys[-len(tail) :]) == tail:
                keys, words = keys[: -len(tail)], words[: -len(tail)]
                changed = True
    return keys, words


def _topic(words: list[str]) -> str | None:
    """``words`` (as typed) as a topic: "" when there are none, None when they read as a
    sentence ("is overrated, right?") or are too long to be a topic."""
    keys = [_key(w) for w in words]
    keys, words = _drop_trailing(keys, words)
    while keys and keys[0] in _ARTICLES:
        keys, words = keys[1:], words[1:]
    if not keys:
        return ""
    if len(keys) > MAX_TOPIC_WORDS or any("?" in w for w in words[:-1]):
        return None
    if any(_BUILD.search(w) for w in words):
        return None
    tokens = re.findall(r"\w+", " ".join(keys))
    named = len(words) > 1 and all(w[:1].isupper() for w in words)  # "Le Chat", "Hugging Face"
    if not tokens or (not named and any(t in _SENTENCE_WORDS for t in tokens)):
        return None
    topic = " ".join(words).strip("¿¡?!.,;:… ")
    return topic if 0 < len(topic) <= MAX_TOPIC_CHARS else None
