"""Language identification of short messages: accuracy, errors and latency of ``detect_lang``.

Reads ``bench/data/langid_dev.jsonl`` when it exists, else ``tests/data/langid_short.jsonl``
(one ``{"text", "lang"}`` object per line). Also times ``detect_lang`` on the seed articles
(the ingest path: only their first 1000 characters are read). ``python -m bench.langid``
runs it alone.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from bench.common import Context, Result, percentile, print_result, proc_status_mb

NAME = "langid"
ROOT = Path(__file__).resolve().parent.parent
DEV_SET = ROOT / "bench" / "data" / "langid_dev.jsonl"
TEST_SET = ROOT / "tests" / "data" / "langid_short.jsonl"
SEEDS = ROOT / "seeds"
TARGET_ACCURACY = 0.97
ROUNDS = 20  # timed passes over the set after the first (cold) one


def load_set(path: Path) -> list[dict[str, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            rows.append({"text": row["text"], "lang": row["lang"]})
    return rows


def _latencies_ms(texts: list[str], rounds: int) -> list[float]:
    from bot.text import detect_lang

    per_text: list[float] = []
    for text in texts:
        best = float("inf")
        for _ in range(rounds):
            start = time.perf_counter_ns()
            detect_lang(text)
            best = min(best, (time.perf_counter_ns() - start) / 1e6)
        per_text.append(best)
    return per_text


def run(ctx: Context) -> Result:
    import bot.text as text_module
    from bot.text import detect_lang

    result = Result(NAME)
    path = DEV_SET if DEV_SET.exists() else TEST_SET
    rows = load_set(path)
    by_lang = {lang: sum(r["lang"] == lang for r in rows) for lang in ("es", "en")}

    model_built = text_module._lingua_detector.cache_info().currsize > 0
    rss_before = proc_status_mb("VmRSS")
    start = time.perf_counter()
    predicted = [detect_lang(r["text"]) for r in rows]  # cold: builds the model on first need
    cold_s = time.perf_counter() - start
    rss_after = proc_status_mb("VmRSS")
    model_mb = (rss_after or 0.0) - (rss_before or 0.0)

    calls = 0
    real_model_lang = text_module._model_lang

    def counting(words: str) -> str | None:
        nonlocal calls
        calls += 1
        return real_model_lang(words)

    text_module._model_lang = counting
    try:
        for r in rows:
            detect_lang(r["text"])
    finally:
        text_module._model_lang = real_model_lang

    errors = [
        (r["text"], r["lang"], got)
        for r, got in zip(rows, predicted, strict=True)
        if got != r["lang"]
    ]
    accuracy = 1 - len(errors) / len(rows)
    per_lang = {
        lang: sum(1 for r, got in zip(rows, predicted, strict=True) if r["lang"] == lang == got)
        / max(1, by_lang[lang])
        for lang in by_lang
    }
    warm = _latencies_ms([r["text"] for r in rows], ROUNDS)

    articles = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    article_ms = _latencies_ms(articles, ROUNDS) if articles else []

    result.table(
        f"detect_lang on {path.relative_to(ROOT)} ({len(rows)} messages: "
        f"{by_lang['es']} es, {by_lang['en']} en)",
        ["metric", "value"],
        [
            ["accuracy", round(accuracy, 4)],
            ["accuracy on es", round(per_lang["es"], 4)],
            ["accuracy on en", round(per_lang["en"], 4)],
            ["errors", len(errors)],
            ["messages decided by the lingua model", calls],
            ["ms per message, mean (best of rounds)", round(sum(warm) / len(warm), 4)],
            ["ms per message, p50", round(percentile(warm, 50), 4)],
            ["ms per message, p95", round(percentile(warm, 95), 4)],
            ["ms per message, max", round(max(warm), 4)],
            ["first pass incl. model build, s", round(cold_s, 3)],
            [
                "RSS added by the first pass, MB",
                "model already built" if model_built else round(model_mb, 1),
            ],
            [
                f"ms per seed article ({len(article_ms)}), mean",
                round(sum(article_ms) / len(article_ms), 4) if article_ms else float("nan"),
            ],
        ],
    )
    if errors:
        result.table(
            "misidentified messages", ["text", "expected", "got"], [list(e) for e in errors]
        )
    result.check("langid accuracy", round(accuracy, 4), TARGET_ACCURACY, ">=")
    result.figures.update(
        {
            "set": str(path.relative_to(ROOT)),
            "messages": len(rows),
            "accuracy": accuracy,
            "errors": [{"text": t, "lang": e, "got": g} for t, e, g in errors],
            "ms_per_message_mean": sum(warm) / len(warm),
            "ms_per_message_p95": percentile(warm, 95),
            "model_decided": calls,
            "cold_seconds": cold_s,
            "model_rss_mb": None if model_built else model_mb,
            "ms_per_article_mean": sum(article_ms) / len(article_ms) if article_ms else None,
        }
    )
    return result


def main() -> None:
    print_result(run(Context(mode="quick")))


if __name__ == "__main__":
    main()
