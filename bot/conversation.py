"""Follow-ups: remember each conversation's last question, rewrite a follow-up into a command.

A conversation is what an adapter names with ``Context.conversation``: the console session,
a Slack thread (or channel), a Discord channel or thread. For each one the memory keeps the
last question (``ask``, ``search``, ``latest`` or ``story``) and what its answer showed.
Right after it, and only then:

* "and X?", "what about X?", "¿y X?", "¿qué hay de X?" ask the previous question again about
  X: the gazetteer mention in it is replaced by X (the one of X's kind if there are several),
  or X is added when the question named nothing;
* "source?", "¿fuente?", "sources?", "link?" list the last answer's sources;
* "more", "más" show the next results of a search or ``latest``, or the story behind an
  answer's first citation.

With no live previous turn (none yet, or older than the TTL) ``rewrite`` returns None and the
text is parsed as always. The memory is an LRU bounded by ``size`` conversations.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from bot.commands.grammar import LATEST_MAX, Command, latest_parts
from bot.entities import Gazetteer
from bot.i18n import t
from bot.reply import Card, Reply
from bot.text import fold

TTL_SECONDS = 30 * 60
MAX_CONVERSATIONS = 4096
PAGE = 5  # results per "more"
MAX_SUBJECT_WORDS = 6
QUESTION_VERBS = frozenset({"ask", "search", "latest", "story"})

# "and X?" openers, folded, longest first; each with the language it implies.
_OPENERS: tuple[tuple[str, str], ...] = (
    ("and what about", "en"),
    ("and how about", "en"),
    ("what about", "en"),
    ("how about", "en"),
    ("and for", "en"),
    ("and", "en"),
    ("y que hay de", "es"),
    ("y que tal", "es"),
    ("que hay de", "es"),
    ("que tal", "es"),
    ("y de", "es"),
    ("y con", "es"),
    ("y para", "es"),
    ("y", "es"),
)
# Singular forms always ask for the sources; plural ones only as a question ("sources?"),
# since "sources" / "fuentes" alone is the command listing the feeds.
_SOURCES_ANY = re.compile(
    r"(?:the |la |el )?(?:source|fuente|link|enlace|url|cita|citation|reference|referencia)"
    r"|(?:de )?donde (?:lo )?(?:sacaste|viene|salio)|where is (?:that|this) from"
)
_SOURCES_ASKED = re.compile(
    r"(?:the |las |los )?(?:sources|fuentes|links|enlaces|urls|citas|citations|references"
    r"|referencias)"
)
_MORE = re.compile(
    r"(?:show |ver |dame |give me )?(?:more|mas)(?: please| por favor| results| resultados)?"
    r"|next|siguientes?|(?:the )?next (?:results|page)"
)
_NOT_SUBJECTS = frozenset({"nuevo", "new", "news", "noticias", "novedades", "mas", "more"})
_LEFT = "¿¡\"'«“( "
_RIGHT = "?!.,;:…\"'»”) "


@dataclass(frozen=True, slots=True)
class Turn:
    """A conversation's last question and what its answer showed."""

    question: Command
    cards: tuple[Card, ...] = ()
    story: str | None = None  # the story behind the answer's first citation ("more")
    shown: frozenset[int] = frozenset()  # article ids already shown for the question
    at: float = 0.0


@dataclass(frozen=True, slots=True)
class Followup:
    """What a follow-up means: ``kind`` is "ask" (run ``command``), "sources" or "more"."""

    kind: str
    command: Command
    turn: Turn = field(repr=False)


class Conversations:
    """Per-conversation memory: bounded (LRU), expiring, safe to share between threads."""

    def __init__(
        self,
        gazetteer: Gazetteer | None = None,
        *,
        ttl: float = TTL_SECONDS,
        size: int = MAX_CONVERSATIONS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.gazetteer = gazetteer
        self.ttl = ttl
        self.size = size
        self.clock = clock
        self._turns: OrderedDict[str, Turn] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._turns)

    def get(self, key: str | None) -> Turn | None:
        """The live last turn of conversation ``key`` (None when absent or expired)."""
        if not key:
            return None
        with self._lock:
            turn = self._turns.get(key)
            if turn is None:
                return None
            if self.clock() - turn.at > self.ttl:
                del self._turns[key]
                return None
            self._turns.move_to_end(key)
            return turn

    def _put(self, key: str, turn: Turn) -> None:
        with self._lock:
            self._turns[key] = replace(turn, at=self.clock())
            self._turns.move_to_end(key)
            while len(self._turns) > self.size:
                self._turns.popitem(last=False)

    def forget(self, key: str | None) -> None:
        if key:
            with self._lock:
                self._turns.pop(key, None)

    def link(self, key: str | None, other: str | None) -> None:
        """Make ``other`` continue conversation ``key`` (a Slack reply's own thread)."""
        turn = self.get(key)
        if turn is not None and other and other != key:
            self._put(other, turn)

    # -- reading a follow-up ------------------------------------------------------------------

    def rewrite(self, key: str | None, text: str) -> Followup | None:
        """``text`` as a follow-up of conversation ``key``'s last question, or None."""
        words = text.split()
        if not words or len(words) > MAX_SUBJECT_WORDS + 3:
            return None
        turn = self.get(key)
        if turn is None:
            return None
        folded = " ".join(fold(w).strip(_LEFT + _RIGHT) for w in words).strip()
        asked = text.rstrip().endswith("?")
        lang = "es" if text.lstrip()[:1] in "¿¡" else ""
        if _SOURCES_ANY.fullmatch(folded) or (asked and _SOURCES_ASKED.fullmatch(folded)):
            es = lang or ("es" if folded.split()[-1] in _SPANISH_SOURCES else "en")
            return Followup("sources", replace(turn.question, lang=es), turn)
        if _MORE.fullmatch(folded):
            es = lang or ("es" if folded.split()[0] in {"mas", "ver", "dame"} else "en")
            return self._more(turn, es)
        return self._about(turn, words, folded, lang)

    def _more(self, turn: Turn, lang: str) -> Followup | None:
        question = turn.question
        if question.verb == "search":
            return Followup("more", replace(question, lang=lang), turn)
        if question.verb == "latest":
            count, topic = latest_parts(question.args)
            n = (int(count) if count else PAGE) + PAGE
            args = f"{min(n, LATEST_MAX)} {topic}".strip()
            return Followup("more", Command("latest", args, lang, question.raw), turn)
        if turn.story:
            return Followup("more", Command("story", turn.story, lang, question.raw), turn)
        return None

    def _about(self, turn: Turn, words: list[str], folded: str, lang: str) -> Followup | None:
        keys = folded.split()
        for opener, implied in _OPENERS:
            size = len(opener.split())
            if keys[:size] != opener.split() or len(keys) == size:
                continue
            subject = " ".join(words[size:]).strip(_LEFT + _RIGHT)
            if not subject or len(subject.split()) > MAX_SUBJECT_WORDS:
                return None
            if " ".join(keys[size:]) in _NOT_SUBJECTS or keys[size] in _NOT_SUBJECTS:
                return None  # "¿qué hay de nuevo?" is the news, not a follow-up
            return Followup("ask", self._replaced(turn.question, subject, lang or implied), turn)
        return None

    def _replaced(self, question: Command, subject: str, lang: str) -> Command:
        if question.verb == "latest":
            count, _ = latest_parts(question.args)
            return Command("latest", f"{count} {subject}".strip(), lang, subject)
        if question.verb == "story":  # a story has no subject to swap: the news about X
            return Command("latest", subject, lang, subject)
        text = self.swap(question.args, subject, lang)
        return Command(question.verb, text, lang, text)

    def swap(self, question: str, subject: str, lang: str = "en") -> str:
        """``question`` about ``subject``: its entity mention replaced, else ``subject`` added."""
        gazetteer = self.gazetteer
        mentions = gazetteer.positions(question) if gazetteer else []
        if gazetteer and mentions:
            kinds = {gazetteer.kind(name) for name in gazetteer.find(subject)}
            same = [m for m in mentions if gazetteer.kind(m[0]) in kinds]
            _, start, end = (same or mentions)[0]
            return question[:start] + subject + question[end:]
        base = question.rstrip(_RIGHT)
        return f"{base}, {'y' if lang == 'es' else 'and'} {subject}?"

    # -- remembering an answer ----------------------------------------------------------------

    def remember(
        self, key: str | None, command: Command, reply: Reply, followup: Followup | None = None
    ) -> None:
        """Record ``reply`` to ``command`` (possibly a follow-up) as ``key``'s last turn."""
        if not key:
            return
        if followup is not None and followup.kind == "sources":
            self._put(key, followup.turn)  # still the same question; the clock restarts
            return
        if followup is not None and followup.kind == "more":
            turn = followup.turn
            self._put(
                key,
                replace(
                    turn,
                    cards=tuple(reply.cards) or turn.cards,
                    shown=turn.shown | {c.article_id for c in reply.cards},
                    story=None if command.verb == "story" else turn.story,
                ),
            )
            return
        if command.verb not in QUESTION_VERBS:
            self.forget(key)
            return
        story = next((b.value for b in reply.buttons if b.action == "more_like_this"), None)
        self._put(
            key,
            Turn(
                command,
                tuple(reply.cards),
                story,
                frozenset(c.article_id for c in reply.cards),
            ),
        )


_SPANISH_SOURCES = frozenset({"fuente", "enlace", "cita", "referencia", "fuentes", "enlaces"})
_SPANISH_SOURCES |= {"citas", "referencias", "sacaste", "viene", "salio"}


def sources_reply(followup: Followup, lang: str) -> Reply:
    """The last answer's sources: title, source, date and URL of each citation."""
    question = followup.turn.question.args or followup.turn.question.raw
    cards = list(followup.turn.cards)
    if not cards:
        return Reply(text=t("followup_no_sources", lang, question=question), lang=lang)
    return Reply(text=t("followup_sources", lang, question=question), lang=lang, cards=cards)


def no_more_reply(followup: Followup, lang: str) -> Reply:
    question = followup.turn.question.args or followup.turn.question.raw
    return Reply(text=t("followup_no_more", lang, question=question), lang=lang)
