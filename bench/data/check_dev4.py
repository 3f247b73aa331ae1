"""Check ``answers_dev4.jsonl`` against the corpus text alone (no product code).

For every ``answerable`` row: each gold id names an article of the bench corpus (seed file,
feed item by GUID or by link when the item has none, es_news row among the first 300), and
that article's title + body holds every ``gold_figures`` string and at least one of
``gold_figures_any``, matched the way ``bench/answers.py`` documents it (case-folded, spaces
normalized, with and without thousands separators, digits not glued to other digits).

For every ``unanswerable`` row, ``checked_absent`` records what was grepped: ``entity`` must
match at least one article (the question names something the corpus has) and ``absent``
must match none of the articles ``entity`` matches (the asked-for fact is not there).

Routing rows need an ``expect`` verb. Exits 1 on any failure.

Run: ``python bench/data/check_dev4.py [path.jsonl]``
(datasets from ``AINEWS_BENCH_DATASETS``, else ``../shared/datasets`` beside the checkout).
"""

from __future__ import annotations

import html
import json
import os
import re
import sys
import unicodedata
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DATASETS = Path(os.environ.get("AINEWS_BENCH_DATASETS", ROOT.parent / "shared" / "datasets"))
SEEDS = ROOT / "seeds"
FEEDS = DATASETS / "feeds" / "ai"
ES_NEWS = DATASETS / "es_news_fakenewscorpus_true.jsonl"
ES_NEWS_ROWS = 300
ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
VERBS = {"latest", "search", "ask"}


def strip_html(text: str | None) -> str:
    text = re.sub(r"<[^>]+>", " ", text or "")
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


def feed_items(path: Path) -> list[dict[str, str]]:
    """Items of one feed: key (GUID, else link), link and text (title + longest body)."""
    root = ET.parse(path).getroot()
    out = []
    for it in root.iter("item"):
        guid = (it.findtext("guid") or "").strip()
        link = (it.findtext("link") or "").strip()
        bodies = [strip_html(it.findtext("description")), strip_html(it.findtext(CONTENT))]
        title = strip_html(it.findtext("title"))
        out.append({"key": guid or link, "link": link, "text": f"{title}\n{max(bodies, key=len)}"})
    for entry in root.iter(ATOM + "entry"):
        guid = (entry.findtext(ATOM + "id") or "").strip()
        el = entry.find(ATOM + "link")
        link = (el.get("href") or "").strip() if el is not None else ""
        bodies = [
            strip_html(entry.findtext(ATOM + "summary")),
            strip_html(entry.findtext(ATOM + "content")),
        ]
        title = strip_html(entry.findtext(ATOM + "title"))
        out.append({"key": guid or link, "link": link, "text": f"{title}\n{max(bodies, key=len)}"})
    return out


def load_corpus() -> tuple[dict[str, str], dict[str, list[dict[str, str]]], dict[str, str]]:
    seeds = {p.name: p.read_text(encoding="utf-8") for p in SEEDS.iterdir() if p.is_file()}
    feeds = {p.name: feed_items(p) for p in sorted(FEEDS.glob("*.xml"))}
    es_news: dict[str, str] = {}
    with ES_NEWS.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh):
            if n >= ES_NEWS_ROWS:
                break
            row = json.loads(line)
            es_news[str(row["id"])] = (
                f"{row.get('title') or ''}\n{row.get('body') or row.get('text') or ''}"
            )
    return seeds, feeds, es_news


def resolve(gold: str, seeds: dict, feeds: dict, es_news: dict) -> list[str]:
    """Texts of the articles one gold id names ([] = names nothing)."""
    kind, _, ref = gold.partition(":")
    if kind == "seed":
        return [seeds[ref]] if ref in seeds else []
    if kind == "esnews":
        return [es_news[ref]] if ref in es_news else []
    if kind == "feed":
        xml, _, key = ref.partition("#")
        items = feeds.get(xml, [])
        found = [i["text"] for i in items if i["key"] == key or i["key"].startswith(key + "#")]
        if not found:  # stored once from another feed: the bench falls back to the link
            found = [i["text"] for f in feeds.values() for i in f if i["link"] == key]
        return found
    return []


_SPACES = re.compile(r"\s+")
_THOUSANDS = re.compile(r"(?<=\d)[.,\u00a0\u202f\u2009\u2007'](?=\d{3}(?!\d))")


def _plain(text: str) -> str:
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).casefold().strip()


def has_figure(text: str, figure: str) -> bool:
    for transform in (_plain, lambda s: _THOUSANDS.sub("", _plain(s))):
        needle, hay = transform(figure), transform(text)
        pattern = re.escape(needle)
        if needle[:1].isdigit():
            pattern = r"(?<!\d)" + pattern
        if needle[-1:].isdigit():
            pattern += r"(?!\d)"
        if needle and re.search(pattern, hay):
            return True
    return False


def check(path: Path) -> int:
    seeds, feeds, es_news = load_corpus()
    everything = (
        list(seeds.values())
        + [i["text"] for items in feeds.values() for i in items]
        + list(es_news.values())
    )
    rows = [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    errors: list[str] = []
    ids = Counter(r.get("id") for r in rows)
    errors += [f"duplicate id {i}" for i, n in ids.items() if n > 1]
    for r in rows:
        rid = r.get("id")
        if r.get("lang") not in ("es", "en"):
            errors.append(f"{rid}: bad lang {r.get('lang')!r}")
        kind = r.get("kind")
        if kind == "answerable":
            figs, any_ = r.get("gold_figures") or [], r.get("gold_figures_any") or []
            if not r.get("gold") or not (figs or any_):
                errors.append(f"{rid}: answerable without gold or figures")
            for gold in r.get("gold") or []:
                texts = resolve(gold, seeds, feeds, es_news)
                if not texts:
                    errors.append(f"{rid}: gold {gold} names no article")
                for text in texts:
                    errors += [
                        f"{rid}: {fig!r} not in {gold}" for fig in figs if not has_figure(text, fig)
                    ]
                    if any_ and not any(has_figure(text, fig) for fig in any_):
                        errors.append(f"{rid}: none of {any_} in {gold}")
            cross = r.get("lang") != r.get("target_lang")
            if cross != ("cross-lang" in (r.get("tags") or [])):
                errors.append(f"{rid}: cross-lang tag does not match lang/target_lang")
        elif kind == "unanswerable":
            spec = r.get("checked_absent") or {}
            entity, absent = spec.get("entity"), spec.get("absent")
            if not entity or not absent:
                errors.append(f"{rid}: unanswerable without checked_absent entity/absent")
                continue
            named = [t for t in everything if re.search(entity, t)]
            if not named:
                errors.append(f"{rid}: entity /{entity}/ is nowhere in the corpus")
            for t in named:
                m = re.search(absent, t, re.I)
                if m:
                    snippet = t[max(0, m.start() - 80) : m.end() + 40].replace("\n", " ")
                    errors.append(f"{rid}: /{absent}/ found: ...{snippet}...")
            print(f"{rid} absent-check: {len(named)} article(s) match /{entity}/, none /{absent}/")
        elif kind == "routing":
            expect = {r.get("expect"), *(r.get("also_ok") or [])}
            if not expect <= VERBS:
                wanted = sorted(map(str, expect))
                errors.append(f"{rid}: routing expect/also_ok {wanted} not in {sorted(VERBS)}")
        else:
            errors.append(f"{rid}: unknown kind {kind!r}")
    summary = Counter((r["kind"], r["lang"]) for r in rows)
    print(
        f"{len(rows)} rows: "
        + ", ".join(f"{k} {lang} {n}" for (k, lang), n in sorted(summary.items()))
    )
    for e in errors:
        print("FAIL", e)
    print("OK" if not errors else f"{len(errors)} failure(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(check(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "answers_dev4.jsonl"))
