"""Language of short user messages and of article text (``bot.text.detect_lang``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.text import detect_lang

SHORT_SET = Path(__file__).parent / "data" / "langid_short.jsonl"


def test_short_message_set_accuracy() -> None:
    rows = [json.loads(line) for line in SHORT_SET.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 200
    errors = [(r["text"], r["lang"]) for r in rows if detect_lang(r["text"]) != r["lang"]]
    accuracy = 1 - len(errors) / len(rows)
    assert accuracy >= 0.97, errors


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        # Names and model numbers carry no language.
        ("precio Nvidia H20", "es"),
        ("Nvidia H20 price", "en"),
        ("modelos abiertos chinos", "es"),
        ("Chinese open models", "en"),
        ("que paso con openai", "es"),
        ("últimas de OpenAI", "es"),
        ("news on Alibaba", "en"),
        ("ollama news", "en"),  # a known name typed in lower case carries none either
        ("noticias de ollama", "es"),
        # One or two words.
        ("más", "es"),
        ("more", "en"),
        ("¿y Meta?", "es"),
        ("and Meta?", "en"),
        ("fuente?", "es"),
        ("gracias", "es"),
        # Mixed: the content decides, not the command word.
        ("search descargas de Qwen", "es"),
        ("descargas de Qwen", "es"),
        ("Qwen downloads", "en"),
        # Shouting is not a row of acronyms.
        ("QUE PASA CON OPENAI", "es"),
    ],
)
def test_hard_cases(text: str, lang: str) -> None:
    assert detect_lang(text) == lang


@pytest.mark.parametrize("text", ["", "   ", "Nvidia H20", "GPT-4o", "???", "2025"])
def test_no_language_left_defaults_to_english(text: str) -> None:
    assert detect_lang(text) == "en"


def test_article_text() -> None:
    spanish = (
        "Alibaba publicó el lunes una nueva versión de Qwen. La compañía china asegura que el "
        "modelo supera a sus rivales en programación y que los pesos estarán disponibles. "
    ) * 30
    english = (
        "Alibaba released a new version of Qwen on Monday. The Chinese company says the model "
        "beats its rivals at coding and that the weights will be available. "
    ) * 30
    assert detect_lang(spanish) == "es"
    assert detect_lang(english) == "en"
    # Only the head is read: a long English tail does not outvote a Spanish article.
    assert detect_lang(spanish + english * 20) == "es"
    # A Title Case English headline on top of its body.
    assert detect_lang("Asia Worries Send Stocks Sliding\n" + english) == "en"
