"""Key-figure extraction on the odd digit runs real feeds carry (issue #19)."""

from __future__ import annotations

import pytest

from bot.entities import Gazetteer
from bot.figures import KeyFigure, display_subject, extract_figures, parse_number, spanish_names
from bot.i18n import format_number
from bot.settings import Settings

GAZETTEER = Gazetteer.load(Settings().gazetteer_path)


def _figures(text: str, lang: str) -> list[KeyFigure]:
    return extract_figures(text, lang, GAZETTEER)


@pytest.mark.parametrize(
    ("raw", "lang", "value"),
    [
        ("15,8", "es", 15.8),
        ("1.000", "es", 1000.0),
        ("1,000.5", "en", 1000.5),
        ("700", "en", 700.0),
        ("3.801.7", "en", None),  # a Reuters table row, not a number
        ("1.2.3", "es", None),
        ("1.000,5", "es", 1000.5),
        ("40.000", "es", 40000.0),
        ("40 000", "es", 40000.0),
        ("1,000", "en", 1000.0),
        ("350,000", "en", 350000.0),
        ("6.6", "en", 6.6),
        ("1.7", "es", 1.7),  # one mark before fewer than three digits is a decimal point
        ("0.125", "es", 0.125),  # and so it is before a leading zero
        ("1,000.5", "es", 1000.5),  # both marks: the last is the decimal one, in any language
        ("1.000,5", "en", 1000.5),
        ("1,000,5", "en", None),
    ],
)
def test_parse_number(raw: str, lang: str, value: float | None) -> None:
    assert parse_number(raw, lang) == value


def test_malformed_numbers_are_skipped_not_fatal() -> None:
    text = "Output rose to 3.801.7 mln tonnes. Shares fell 12.5 percent."
    assert [f.value for f in _figures(text, "en")] == [12.5]


@pytest.mark.parametrize(
    ("sentence", "lang", "text", "value", "unit"),
    [
        ("OpenAI raised $6.6B in October.", "en", "$6.6B", 6.6e9, "usd"),
        ("Microsoft has invested $13bn in the lab.", "en", "$13bn", 13e9, "usd"),
        ("Anthropic raised $1.5 billion.", "en", "$1.5 billion", 1.5e9, "usd"),
        ("Nvidia invertirá US$ 40.000 millones.", "es", "US$ 40.000 millones", 40e9, "usd"),
        (
            "Nvidia invertirá 40.000 millones de dólares.",
            "es",
            "40.000 millones de dólares",
            40e9,
            "usd",
        ),
        ("Mistral AI levantó 1.7B€ en septiembre.", "es", "1.7B€", 1.7e9, "eur"),
        ("Mistral AI raised €1.7bn in September.", "en", "€1.7bn", 1.7e9, "eur"),
        (
            "Francia invertirá 2.000 millones de euros.",
            "es",
            "2.000 millones de euros",
            2e9,
            "eur",
        ),
        (
            "La ronda fue de 1,7 mil millones de euros.",
            "es",
            "1,7 mil millones de euros",
            1.7e9,
            "eur",
        ),
    ],
)
def test_currency_amounts_with_suffixes(
    sentence: str, lang: str, text: str, value: float, unit: str
) -> None:
    [figure] = _figures(sentence, lang)
    assert (figure.text, figure.unit) == (text, unit)
    assert figure.value == pytest.approx(value)


@pytest.mark.parametrize(
    ("sentence", "lang", "value", "unit"),
    [
        ("El modelo tiene 1.000,5 usuarios.", "es", 1000.5, "users"),
        ("The model has 1,000.5 users.", "en", 1000.5, "users"),
        ("La cuota subió al 15,8 % en 2025.", "es", 15.8, "%"),
        ("The share rose to 15.8% in 2025.", "en", 15.8, "%"),
        ("Qwen superó los 700 millones de descargas.", "es", 7e8, "downloads"),
        ("Qwen passed 700 million downloads.", "en", 7e8, "downloads"),
        ("Qwen passed 700M downloads.", "en", 7e8, "downloads"),
    ],
)
def test_separators_and_scales_in_both_languages(
    sentence: str, lang: str, value: float, unit: str
) -> None:
    assert [(f.value, f.unit) for f in _figures(sentence, lang)] == [(value, unit)]


@pytest.mark.parametrize(
    ("sentence", "lang", "expected"),
    [
        ("Meta bought 350,000 H100 GPUs.", "en", [("350,000 H100 GPUs", 350000.0, "gpus")]),
        ("Meta compró 350.000 GPU H100.", "es", [("350.000 GPU H100", 350000.0, "gpus")]),
        ("GPT-4 has 100 million users.", "en", [("100 million users", 1e8, "users")]),
        ("The A100 chips shipped late.", "en", []),
        ("The 3.5-turbo models are cheaper.", "en", []),
        (
            "GPT-3.5-turbo has 20 billion parameters.",
            "en",
            [("20 billion parameters", 2e10, "parameters")],
        ),
        (
            "Llama 3.1 has 405 billion parameters.",
            "en",
            [("405 billion parameters", 405e9, "parameters")],
        ),
        (
            "Llama 3 models passed 350 million downloads.",
            "en",
            [("350 million downloads", 3.5e8, "downloads")],
        ),
        ("Gemini 2.5 users praised it.", "en", []),
        ("Mistral 7B and Qwen2.5-72B models are open.", "en", []),
        ("Its 7B models are open.", "en", []),  # a size class, not seven billion models
        ("Una ronda del 10-15% del capital.", "es", [("15%", 15.0, "%")]),
    ],
)
def test_numbers_glued_to_letters_are_never_figures(
    sentence: str, lang: str, expected: list[tuple[str, float, str]]
) -> None:
    assert [(f.text, f.value, f.unit) for f in _figures(sentence, lang)] == expected


def test_currency_code_is_not_a_subject() -> None:
    [figure] = _figures("Nvidia invertirá US$ 40.000 millones en centros de datos.", "es")
    assert figure.subject == "Nvidia"
    [figure] = _figures("La inversión será de US$ 40.000 millones.", "es")
    assert figure.subject is None
    [figure] = _figures("Estados Unidos destinará US$ 500.000 millones a la IA.", "es")
    assert figure.subject == "United States"  # a real mention still counts


def test_the_thing_counted_is_not_the_subject() -> None:
    [figure] = _figures("Meta bought 350,000 H100 GPUs.", "en")
    assert figure.subject == "Meta"
    [figure] = _figures("Meta compró 350.000 GPU H100.", "es")
    assert figure.subject == "Meta"


@pytest.mark.parametrize(
    ("sentence", "lang", "value", "unit"),
    [
        ("Revenue hit USD 40 billion.", "en", 40e9, "usd"),
        ("El valor bajó un -3,2 % en bolsa.", "es", -3.2, "%"),
        ("It costs $5 a month.", "en", 5.0, "usd"),
        ("A $1tn market.", "en", 1e12, "usd"),
        ("Tiene 1 000 000 usuarios.", "es", 1e6, "users"),
        ("La cuota fue del 15,8\u00a0%.", "es", 15.8, "%"),
        ("Shares fell 12.5 per cent.", "en", 12.5, "%"),
    ],
)
def test_other_written_forms(sentence: str, lang: str, value: float, unit: str) -> None:
    assert [(f.value, f.unit) for f in _figures(sentence, lang)] == [(value, unit)]


@pytest.mark.parametrize(
    "sentence",
    [
        "La torre mide 10 m de altura.",  # an abbreviation needs money or a unit
        "BHP paid A$5 billion.",  # another dollar: not "usd", so no figure at all
        "Alibaba raised HK$3bn.",
        "In 2025 the lab moved.",  # a year
    ],
)
def test_no_figure(sentence: str) -> None:
    assert _figures(sentence, "en") == []


def test_article_language_decides_the_value_reader_language_the_rendering() -> None:
    [spanish] = _figures("Nvidia invertirá US$ 40.000 millones.", "es")
    assert format_number(spanish.value, spanish.unit, spanish.text, "en") == "$40 billion"
    assert format_number(spanish.value, spanish.unit, spanish.text, "es") == (
        "40.000 millones de dólares"
    )
    [english] = _figures("OpenAI raised $6.6B in October.", "en")
    assert format_number(english.value, english.unit, english.text, "es") == (
        "6.600 millones de dólares"
    )
    assert format_number(english.value, english.unit, english.text, "en") == "$6.6 billion"


@pytest.mark.parametrize(
    ("value", "unit", "en", "es"),
    [
        (1000.5, "users", "1,000.5 users", "1.000,5 usuarios"),
        (15.8, "%", "15.8 %", "15,8 %"),
        (7e8, "downloads", "700 million downloads", "700 millones de descargas"),
        (350000.0, "gpus", "350,000 GPUs", "350.000 GPU"),
        (1.7e9, "eur", "€1.7 billion", "1.700 millones de euros"),
        (2e9, "eur", "€2 billion", "2.000 millones de euros"),
        (1e6, "users", "1 million users", "1 millón de usuarios"),
        (1.5e12, "usd", "$1.5 trillion", "1,5 billones de dólares"),
        (500.0, "usd", "$500", "500 dólares"),
        (2.5e9, "", "2.5 billion", "2.500 millones"),
        (-5e9, "usd", "-$5 billion", "-5.000 millones de dólares"),
        (-3.2, "%", "-3.2 %", "-3,2 %"),
    ],
)
def test_format_number_in_both_languages(value: float, unit: str, en: str, es: str) -> None:
    assert format_number(value, unit, "", "en") == en
    assert format_number(value, unit, "", "es") == es


def test_subject_is_shown_in_the_reply_language() -> None:
    names = spanish_names(Settings().gazetteer_path)
    assert display_subject("United States", "es", names) == "Estados Unidos"
    assert display_subject("European Union", "es", names) == "Unión Europea"
    assert display_subject("United States", "en", names) == "United States"
    assert display_subject("Qwen", "es", names) == "Qwen"  # a name with no Spanish form
    assert display_subject(None, "es", names) is None


@pytest.mark.parametrize(
    ("sentence", "lang", "value", "unit"),
    [
        ("Qwen models passed one billion downloads.", "en", 1e9, "downloads"),
        ("It has a million users.", "en", 1e6, "users"),
        ("Los modelos superaron los mil millones de descargas.", "es", 1e9, "downloads"),
        ("Tiene un millón de usuarios.", "es", 1e6, "users"),
    ],
)
def test_a_number_word_before_a_scale_is_a_figure(
    sentence: str, lang: str, value: float, unit: str
) -> None:
    assert [(f.value, f.unit) for f in _figures(sentence, lang)] == [(value, unit)]


@pytest.mark.parametrize(
    ("sentence", "lang"),
    [
        ("One model and a user.", "en"),  # no scale: no figure
        ("Llegan a millones de usuarios.", "es"),  # Spanish "a" is "to", not "one"
    ],
)
def test_a_number_word_alone_is_no_figure(sentence: str, lang: str) -> None:
    assert _figures(sentence, lang) == []
