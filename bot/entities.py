"""Named entities: a gazetteer from ``config/entities.toml`` plus capitalized names found in text.

Entity names are language-free ("Qwen", "Nvidia H20"), and the gazetteer maps
Spanish and English aliases to one canonical name ("Estados Unidos" -> "United
States"), so entities also serve cross-language search and trending.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bot.lexicon import PhraseMatcher
from bot.text import is_stopword, split_sentences

_CAPITALIZED = re.compile(
    r"(?<![\w.])([A-ZÁÉÍÓÚÑ][\w\-]*[A-Za-z0-9áéíóúñ](?:\s+(?:de\s+|del\s+|of\s+)?"
    r"[A-ZÁÉÍÓÚÑ][\w\-]*[A-Za-z0-9áéíóúñ]){0,3})"
)


@dataclass(frozen=True, slots=True)
class EntityInfo:
    name: str
    kind: str
    aliases: tuple[str, ...]


class Gazetteer:
    """Known entities and their aliases; finds mentions and counts them."""

    def __init__(self, entities: list[EntityInfo]) -> None:
        self.entities = {e.name: e for e in entities}
        self._matcher = PhraseMatcher()
        for entity in entities:
            for alias in (entity.name, *entity.aliases):
                self._matcher.add(alias, entity.name)
        self._matcher.compile()

    @classmethod
    def load(cls, path: Path) -> Gazetteer:
        if not path.is_file():
            return cls([])
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return cls(
            [
                EntityInfo(
                    name=row["name"],
                    kind=row.get("kind", "other"),
                    aliases=tuple(row.get("aliases", [])),
                )
                for row in data.get("entity", [])
            ]
        )

    def find(self, text: str) -> Counter[str]:
        """Mentions of known entities in ``text``, by canonical name."""
        return Counter(self._matcher.find(text))

    def positions(self, text: str) -> list[tuple[str, int, int]]:
        """``(canonical name, start, end)`` of each mention."""
        return self._matcher.positions(text)

    def aliases(self, name: str) -> tuple[str, ...]:
        entity = self.entities.get(name)
        return (entity.name, *entity.aliases) if entity else ()

    def kind(self, name: str) -> str:
        entity = self.entities.get(name)
        return entity.kind if entity else "other"


def discover_names(text: str, known: set[str], *, limit: int = 15) -> Counter[str]:
    """Capitalized names not in the gazetteer: multi-word anywhere, single words mid-sentence."""
    counts: Counter[str] = Counter()
    for sentence in split_sentences(text):
        for match in _CAPITALIZED.finditer(sentence):
            name = match.group(1).strip()
            words = name.split()
            if is_stopword(words[0]) or name in known or len(name) < 3:
                continue
            if len(words) == 1 and (match.start() == 0 or name.isupper() and len(name) < 3):
                continue
            counts[name] += 1
    singles = {n for n in counts if " " not in n}
    for name in singles:  # a single capitalized word seen once is too often noise
        if counts[name] < 2:
            del counts[name]
    return Counter(dict(counts.most_common(limit)))


class EntityExtractor:
    """Gazetteer mentions plus discovered names for one article."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.gazetteer = gazetteer
        self._known_aliases = {a for e in gazetteer.entities.values() for a in (e.name, *e.aliases)}

    def extract(self, title: str, body: str) -> dict[str, tuple[str, int, bool]]:
        """``{name: (kind, count, from_gazetteer)}``."""
        text = f"{title}.\n{body}"
        found: dict[str, tuple[str, int, bool]] = {
            name: (self.gazetteer.kind(name), count, True)
            for name, count in self.gazetteer.find(text).items()
        }
        for name, count in discover_names(text, self._known_aliases).items():
            if not any(name in alias or alias in name for alias in self._matcher_hits(found)):
                found.setdefault(name, ("other", count, False))
        return found

    def _matcher_hits(self, found: dict[str, tuple[str, int, bool]]) -> list[str]:
        return [a for n in found for a in self.gazetteer.aliases(n)]
