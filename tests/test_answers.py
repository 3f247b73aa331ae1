"""Extractive answers on the seeds: the acceptance questions, and calibration of 'not found'."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import SEEDS

from bot.answers import answer
from bot.core import Core
from bot.i18n import format_number
from bot.index.hybrid import SearchHit

pytestmark = pytest.mark.model

ANSWERABLE = [
    ("¿Cuántas descargas superaron los modelos Qwen?", "es", "004"),
    ("What share of global model downloads do Chinese developers have?", "en", "002"),
    ("Why are Chinese firms training AI abroad?", "en", "000"),
    ("¿Por qué entrenan las empresas chinas en el sudeste asiático?", "es", "000"),
    ("How many downloads do Qwen models have?", "en", "004"),
    ("¿Qué chips de Nvidia restringió Estados Unidos?", "es", "000"),
]
UNANSWERABLE = [
    ("receta de paella valenciana", "es"),
    ("What is the weather in Paris tomorrow?", "en"),
    ("who won the football world cup", "en"),
    ("¿Cuál es la capital de Australia?", "es"),
    ("best pizza dough hydration", "en"),
]


@pytest.mark.parametrize(("question", "lang", "seed"), ANSWERABLE)
def test_answerable_questions_cite_the_right_article(
    seeded_core: Core, question: str, lang: str, seed: str
) -> None:
    result = answer(seeded_core, question, lang)
    assert result.found, result.text
    assert (result.citations[0].url or "").rsplit("/", 1)[-1].startswith(seed)
    assert "[1]" in result.text


@pytest.mark.parametrize(("question", "lang"), UNANSWERABLE)
def test_unanswerable_questions_say_so(seeded_core: Core, question: str, lang: str) -> None:
    result = answer(seeded_core, question, lang)
    assert not result.found and not result.citations
    assert result.as_json()["found"] is False


def test_download_share_answer_has_both_figures_in_english(seeded_core: Core) -> None:
    result = answer(
        seeded_core, "What share of global model downloads do Chinese developers have?", "en"
    )
    assert "17 %" in result.text and "15.8 %" in result.text
    assert "(as of 26 Nov 2025)" in result.text
    assert any("15,8 %" in c.sentence for c in result.citations), "quotes stay in Spanish"


def test_number_formatting_follows_the_reader() -> None:
    assert format_number(15.8, "%", "15,8 %", "en") == "15.8 %"
    assert format_number(15.8, "%", "15,8 %", "es") == "15,8 %"
    assert format_number(7e8, "downloads", "", "en") == "700 million downloads"
    assert format_number(7e8, "downloads", "", "es") == "700 millones de descargas"


def _ainews(cwd: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AINEWS_DATA_DIR": str(cwd / "data"), "HF_HUB_OFFLINE": "1"}
    env.pop("AINEWS_DATABASE_URL", None)
    exe = str(Path(sys.executable).with_name("ainews"))
    return subprocess.run(
        [exe, *args], cwd=cwd, env=env, input=stdin, capture_output=True, text=True, timeout=240
    )


def test_cli_ask_json_and_chat_session(tmp_path: Path) -> None:
    shutil.copytree(SEEDS, tmp_path / "seeds")
    assert _ainews(tmp_path, "ingest", "seeds/").returncode == 0
    found = json.loads(
        _ainews(tmp_path, "ask", "¿Cuántas descargas superaron los modelos Qwen?", "--json").stdout
    )
    assert found["found"] is True and "700 millones" in found["answer"]
    assert set(found["citations"][0]) == {"n", "id", "title", "url", "sentence", "lang"}
    assert found["citations"][0]["url"] == "seeds/004_cfe0271cdde873fb.txt"
    missing = json.loads(_ainews(tmp_path, "ask", "receta de paella valenciana", "--json").stdout)
    assert missing["found"] is False and missing["citations"] == []

    chat = _ainews(
        tmp_path,
        "chat",
        stdin="help\nbuscar Nvidia\n"
        "ask ¿Cuántas descargas superaron los modelos Qwen?\nsalir\nhelp\n",
    )
    assert chat.returncode == 0, chat.stderr
    out = chat.stdout
    assert "search <query>" in out
    assert "Resultados para «Nvidia»" in out and "Empresas chinas recurren al exterior" in out
    assert "700 millones de descargas" in out
    assert out.count("ainews commands") + out.count("AI-industry news. Commands") == 1, (
        "salir ends it"
    )


@pytest.mark.parametrize(
    ("question", "lang", "figure"),
    [
        ("how often have Alibaba's Qwen models been downloaded?", "en", "700 million downloads"),
        ("¿cuántas veces se han descargado los modelos Qwen de Alibaba?", "es", "700 millones"),
    ],
)
def test_a_quantity_question_leads_with_a_direct_answer_in_the_askers_language(
    seeded_core: Core, question: str, lang: str, figure: str
) -> None:
    result = answer(seeded_core, question, lang)
    assert result.direct is not None and figure in result.direct, result.text
    assert result.text.startswith(result.direct)
    assert result.direct.endswith("[1].")
    assert (result.citations[0].url or "").endswith("004_cfe0271cdde873fb.txt")
    other = "(in Spanish)" if lang == "en" else "(en español)"
    assert (other in result.text) == (lang == "en"), "quotes in the other language are marked"


def test_a_name_alone_does_not_answer(seeded_core: Core) -> None:
    """The article names Alibaba, but says nothing of its employees."""
    result = answer(seeded_core, "How many employees does Alibaba have?", "en")
    assert not result.found, result.text
    # the kind asked for beside one name leaves nothing but the name
    result = answer(seeded_core, "¿cómo se llama el CEO de Alibaba?", "es")
    assert not result.found, result.text


def test_a_name_typed_in_lower_case_must_be_in_the_cited_article(seeded_core: Core) -> None:
    """ "langdock" is the stored entity "Langdock" of an article read: an article about
    another company's funding does not answer for it. "funding", which titles capitalise,
    stays a word."""
    from bot.answers import _concepts, _lower_runs, _names_by_use

    question = "how much funding has langdock raised?"
    concepts = _concepts(seeded_core, question, lang="en")
    runs = _lower_runs(question, concepts)
    named = _names_by_use(concepts, {"langdock", "funding", "raised"}, runs)
    assert [c.word for c in named] == ["langdock"]
    assert _names_by_use(concepts, {"anthropic"}, runs) == []


def test_the_who_in_capitals_is_the_organization(seeded_core: Core) -> None:
    """ "…with the WHO?" names the World Health Organization (la OMS); it asks for no person."""
    from bot.answers import _THE_WHO, _WHO, _concepts

    question = "what company ran the carbetocin trial with the WHO?"
    names = [c for c in _concepts(seeded_core, question, lang="en") if c.is_name]
    assert len(names) == 1 and "oms" in names[0].stems
    assert not _WHO.search(_THE_WHO.sub(" ", question))
    assert _WHO.search(_THE_WHO.sub(" ", "WHO leads the WHO now?"))


def test_a_word_nothing_translates_is_no_evidence_against_the_other_language() -> None:
    """ "voicing" has no Spanish link: a Spanish text that says the rest is judged on the rest,
    but only when it shows it is on topic, and never when most of the question is unreadable."""
    from bot.answers import _Concept, _readable

    voicing = _Concept({"voicing", "voic"}, [], unlinked=True)
    remake = _Concept({"remak"}, [], unlinked=True)
    disney = _Concept({"disney"}, [], is_name=True)
    lion = _Concept({"lion"}, [], is_name=True, unlinked=True)
    king = _Concept({"king", "rey"}, [])
    concepts, content = [voicing, disney, lion, king, remake], [voicing, king, remake]
    terms = {"beyonc", "nala", "remak", "rey", "leon", "disney"}

    def covered(concepts: list[_Concept], terms: set[str]) -> set[int]:
        return {id(c) for c in concepts if c.matched_loosely(terms, set())}

    judged, judged_content = _readable(concepts, content, covered(concepts, terms), vouched=False)
    assert judged_content == [king, remake] and voicing not in judged and lion not in judged
    # one word found and no vouching model: everything still counts
    assert _readable(concepts, content, covered(concepts, {"remak"}), vouched=False) == (
        concepts,
        content,
    )
    # most of the question unreadable: everything counts, however close the model puts it
    weather = [_Concept({"weather"}, [], unlinked=True), _Concept({"tomorrow"}, [], unlinked=True)]
    paris = _Concept({"paris", "par"}, [])
    assert _readable(
        [*weather, paris], [*weather, paris], covered([*weather, paris], {"par"}), vouched=True
    ) == (
        [*weather, paris],
        [*weather, paris],
    )


def test_a_month_asked_about_may_be_told_of_later() -> None:
    """ "back in April" dates the event, not the report: an article published later that
    tells of April fits, one that does not mention it needs April's date."""
    from datetime import datetime

    from bot.answers import _when

    when, said = _when("what nvidia chip did the US stop selling to china back in april?")
    assert when is not None and when.month == 4 and {"april", "back"} <= said
    november = datetime(2025, 11, 3)
    assert when.fits(november, {"restringio", "desde", "abril"})
    assert not when.fits(november, {"restringio", "desde", "mayo"})
    assert when.fits(datetime(2025, 4, 9), set())


def test_the_us_chip_ban_reported_months_later_is_found(seeded_core: Core) -> None:
    result = answer(
        seeded_core, "what nvidia chip did the US stop selling to china back in april?", "en"
    )
    assert result.found and "H20" in result.text, result.text
    assert any(c.published_at is None or c.published_at.month != 4 for c in result.citations)


def test_who_needs_a_name_the_question_does_not_give(seeded_core: Core) -> None:
    """A Title Case headline still names someone new; a job title or the asked person does not."""
    from bot.answers import _new_name

    cfo = "¿Quién es el nuevo director financiero de Groq?"
    assert _new_name(seeded_core, "Groq Names Simon Edwards Chief Financial Officer", cfo)
    replaced = "Who replaced Mike Krieger as Anthropic's product chief?"
    assert not _new_name(
        seeded_core, "Mike Krieger joins Anthropic as Chief Product Officer", replaced
    )
    assert not _new_name(
        seeded_core, "Pelado Almeyda se va de Chivas", "Who replaced Almeyda at Chivas?"
    )
    assert _new_name(seeded_core, "Beyoncé será Nala en el remake", "who plays Nala?")
    # an acronym beside the asked name is the product's own name
    api = "¿cómo se llama la API de mistral para entender documentos?"
    assert _new_name(seeded_core, "Mistral OCR", api)


def test_a_name_the_question_gives_with_its_version_is_not_new(seeded_core: Core) -> None:
    """ "GPT-5.2" of a question on gpt-5.2 names no one new; "Bespoke Labs" is new to a
    question on "Bespoke-Minicheck", its product."""
    from bot.answers import _new_name

    gluon = "which university helped openai verify the gpt-5.2 gluon amplitude formula?"
    assert not _new_name(seeded_core, "A preprint shows GPT-5.2 proposing a formula.", gluon)
    maker = "¿Quién ha desarrollado Bespoke-Minicheck?"
    text = "Bespoke-Minicheck is a new grounded factuality checking model developed by Bespoke Labs"
    assert _new_name(seeded_core, text, maker)
    assert not _new_name(seeded_core, "Bespoke-Minicheck is now available.", maker)


def test_what_a_name_is_need_not_be_said_again(seeded_core: Core) -> None:
    """ "¿de qué empresa es el modelo nemotron 3 ultra?": "NVIDIA Nemotron 3 Ultra is built
    for…" answers it though it never says "model"; NVIDIA, known on its own, is new."""
    from bot.answers import _concepts, _new_name

    question = "¿de qué empresa es el modelo nemotron 3 ultra?"
    by_word = {c.word: c for c in _concepts(seeded_core, question, lang="es")}
    assert by_word["modelo"].optional and by_word["empresa"].optional
    answer_text = "NVIDIA Nemotron 3 Ultra is built for high-throughput reasoning."
    assert _new_name(seeded_core, answer_text, question)
    plain = {c.word: c for c in _concepts(seeded_core, "¿qué modelo lanzó Mistral?", lang="es")}
    assert not plain["lanzó"].optional


def test_a_capitalised_first_word_written_in_lower_case_elsewhere_is_no_name(
    seeded_core: Core,
) -> None:
    """ "Abundó que…" opens a sentence with a verb the text read writes in lower case."""
    from bot.answers import _new_name

    question = "which agency reported the number of marriages?"
    text = "Abundó que se registraron miles de matrimonios."
    assert _new_name(seeded_core, text, question)  # nothing says it is a common word
    assert not _new_name(seeded_core, text, question, {"abundó", "que"})
    assert _new_name(seeded_core, "Abundó el INEGI que…", question, {"abundó"})


def test_a_comparison_is_answered_by_a_figure_of_what_it_compares(seeded_core: Core) -> None:
    """ "¿Cuánto más rápido…?" wants the speed-up, not the model's parameter count."""
    from bot.answers import _counted, _counts

    counted = _counted(seeded_core, "¿Cuánto más rápido va el modelo de HeyGen en las TPU?")
    assert counted
    assert _counts("To achieve a 1.86x speedup for real-time streaming", counted, [])
    assert not _counts(
        "HeyGen ported their 18B+ parameter Avatar IV model to eight chips", counted, []
    )
    assert _counted(seeded_core, "How much faster is it?")


def test_a_version_in_the_question_must_be_in_the_article() -> None:
    """ "Mistral Small 4" is not answered by an article on Mistral Small 3; a year is a date."""
    from bot.answers import _versions

    assert _versions("How big is Mistral Small 4?") == {"4"}
    assert _versions("What does GPT-5.6 cost?") == {"56"}
    assert _versions("what did OpenAI announce in 2024?") == set()
    assert _versions("what did The Batch's November 19, 2025 issue say?") == set()  # a day
    assert _versions("¿Cuánto recaudó xAI en la Serie B de 6.000 millones?") == set()
    # two dots make a version even in lower case, unless they group thousands
    assert _versions("which release is windsurf next 1.9.102 based on") == {"19102"}
    assert _versions("¿tiene 10.000.000 de usuarios?") == set()


def _changelog(core: Core, releases: dict[str, str]) -> None:
    from bot.ingest.files import Item
    from bot.ingest.types import RawArticle

    core.ingester.ingest(
        [
            Item(f"windsurf-{version}", RawArticle(title=f"Windsurf Next {version}", body=body))
            for version, body in releases.items()
        ]
    )


def test_a_release_line_is_answered_by_its_patch_releases(core: Core) -> None:
    """ "la versión 1.10" is the 1.10 line: "Windsurf Next 1.10.100" says it, 1.11.2 does not
    ("1.000.000" groups thousands and names no release)."""
    from bot.answers import _release_lines

    assert _release_lines("Windsurf Next 1.10.100, then 1.9566.11 and v2.0.63") == {
        "110",
        "19566",
        "20",
    }
    assert _release_lines("1.000.000 usuarios") == set()
    _changelog(
        core,
        {
            "1.10.100": "Legacy Mode removed. Legacy mode is no longer available in Cascade.",
            "1.11.2": "Planning Mode removed from the settings page of Cascade.",
        },
    )
    result = answer(core, "what mode did Windsurf remove in version 1.10?", "en")
    assert result.found and [c.title for c in result.citations] == ["Windsurf Next 1.10.100"]


def test_what_only_full_text_finds_is_read(core: Core, monkeypatch: pytest.MonkeyPatch) -> None:
    """The model ranks every 1.12.x alike, and may put a post far from a question in the
    other language: when the fused list leaves an article out, full text still brings it."""
    _changelog(
        core,
        {
            "1.12.150": "Context window indicator now shows the context window used by Cascade.",
            "1.12.149": "Fix extension installation version selection.",
            "1.12.148": "Improved latency of autocomplete.",
        },
    )
    search = core.searcher.search_with_lexical

    def fused_without_it(query: str, **kwargs: Any) -> tuple[list[SearchHit], list[int]]:
        hits, lexical = search(query, **kwargs)
        return [h for h in hits if not h.title.endswith("1.12.150")], lexical

    monkeypatch.setattr(core.searcher, "search_with_lexical", fused_without_it)
    result = answer(core, "what does the indicator in Windsurf Next 1.12.150 show?", "en")
    assert result.found and "context window" in result.text, result.text
    result = answer(core, "¿qué muestra el indicador de la ventana de contexto de Windsurf?", "es")
    assert result.found and "context window" in result.text, result.text


def test_the_next_sentence_is_quoted_when_it_says_what_the_best_one_leaves_out() -> None:
    """ "what happens when an industry's golden era ends": "Every industry has a golden era."
    says the most, "And once it ends, it is impossible to break through." the rest; when the
    next one says nothing more, the one before may."""
    from bot.answers import _Concept, _Sentence, _with_rest

    industry, era, ends = (_Concept(set(), [], word=w) for w in ("industry", "era", "ends"))
    kind = _Concept(set(), [], optional=True, word="kind")
    first = _Sentence(1, 0, "Every industry has a golden era.", 7)
    second = _Sentence(1, 1, "And once it ends, it is impossible to break through.", 7)
    third = _Sentence(1, 2, "Founders should study history.", 7)
    by_index = {(1, 0): first, (1, 1): second, (1, 2): third}
    covered = {(1, 0): {id(industry), id(era)}, (1, 1): {id(ends)}, (1, 2): set()}
    content = [industry, era, ends, kind]
    quote = _with_rest(first, by_index, covered, content)
    assert quote.text == f"{first.text} {second.text}"
    covered[(1, 1)] = {id(kind)}  # the next one says only what need not be said: alone
    assert _with_rest(first, by_index, covered, content) is first
    assert _with_rest(third, by_index, covered, content) is third  # nothing near says more
    # or the one before: "Google released a preview of Android P." / "It runs on Pixel phones."
    covered[(1, 1)], covered[(1, 2)] = {id(industry), id(era), id(ends)}, {id(industry)}
    assert _with_rest(third, by_index, covered, content).text == f"{second.text} {third.text}"


def test_a_scaled_number_is_a_count(seeded_core: Core) -> None:
    """ "24B parameters" answers "how many parameters"; "H100" is a name, not a count."""
    from bot.answers import _counted, _counts

    counted = _counted(seeded_core, "How many parameters does the model have?")
    assert _counts("a model with 24B parameters", counted, [])
    assert not _counts("H100 parameters were tuned", counted, [])


def test_a_names_number_counts_nothing(seeded_core: Core) -> None:
    """ "GPT-5" is a model, not five of the "personality" (person) beside it."""
    from bot.answers import _counted, _counts

    counted = _counted(seeded_core, "¿cuántas personas trabajan en surge ai?")
    assert not _counts("the GPT-4o vs. GPT-5 personality controversy", counted, [])
    assert _counts("a team of 5 people", counted, [])


def test_a_count_of_one_answers_how_many(seeded_core: Core) -> None:
    """ "how many API calls": "with One Groq API Call"; Spanish "un" is also "a"."""
    from bot.answers import _Evidence

    def one(question: str, text: str) -> bool:
        return _Evidence(seeded_core, question, "en", [], {}, True, False).one(text)

    question = "how many API calls do you need to build a research agent?"
    assert one(question, "How to Build Your Own AI Research Agent with One Groq API Call")
    assert one("how many shards per tenant?", "scalable search with one shard per tenant")
    assert not one("how many shards per tenant?", "one of the tenants")
    assert not one("¿cuántos modelos lanzó?", "lanzó un modelo nuevo")
    assert one("¿cuántos modelos lanzó?", "lanzó un solo modelo")


def test_the_kind_asked_for_is_what_the_answer_must_give(seeded_core: Core) -> None:
    """A multiplier or a discount is a figure; which GPUs, a name."""
    from bot.answers import _NAMED_KIND, _wants_quantity

    assert _wants_quantity("what's the credit multiplier for GPT-5.2-Codex in windsurf?")
    assert _wants_quantity("¿Qué descuento da Groq en los tokens cacheados?")
    assert _NAMED_KIND.search("¿Qué GPUs de NVIDIA usa la instancia local de North?")


def test_a_benchmark_score_is_a_result_not_any_number(seeded_core: Core) -> None:
    """ "¿qué puntuación saca SWE-1.5 en SWE-Bench-Pro?" is not answered by "free for the
    next 3 months"; "72.5%" or "1,450 points" answer it, and a deal value is a figure."""
    from bot.answers import _Evidence, _Sentence, _wants_quantity
    from bot.models import Article

    question = "¿qué puntuación saca SWE-1.5 en SWE-Bench-Pro?"
    article = Article(title="t", url="https://example.com/a", lang="en", body="b")
    evidence = _Evidence(seeded_core, question, "es", [], {1: article}, True, False)
    assert not evidence(_Sentence(1, 0, "SWE-1.5 is free for the next 3 months.", None))
    assert evidence(_Sentence(1, 0, "SWE-1.5 reaches 40.1% on SWE-Bench-Pro.", None))
    assert evidence(_Sentence(1, 0, "It scored 1,450 points.", None))
    assert _wants_quantity("what was the deal value of Anthropic's partnership with BCG?")


def test_what_the_asker_rules_out_is_not_cited(core: Core) -> None:
    """ "which stable Windsurf release (not Next)": a Windsurf Next item does not answer, and
    "Next" is no word the answer must say."""
    _changelog(core, {"1.9577.1043": "Added support for the new quota billing system."})
    question = "which stable Windsurf release (not Next) added the quota billing system?"
    assert not answer(core, question, "en").found
    from bot.ingest.files import Item
    from bot.ingest.types import RawArticle

    stable = RawArticle(title="Windsurf 1.9577.43", body="Added the new quota billing system.")
    core.ingester.ingest([Item("stable", stable)])
    result = answer(core, question, "en")
    assert [c.title for c in result.citations] == ["Windsurf 1.9577.43"]


def test_a_version_is_not_said_by_a_sum(core: Core) -> None:
    """ "Claude Opus 4.6" is not in "vulnerabilities worth a combined $4.6 million"."""
    from bot.ingest.files import Item
    from bot.ingest.types import RawArticle

    body = "Claude Opus 4.5 found vulnerabilities worth a combined $4.6 million in the benchmark."
    item = RawArticle(title="AI agents find smart contract exploits", body=body)
    core.ingester.ingest([Item("exploits", item)])
    assert not answer(core, "What score did Claude Opus 4.6 get on the benchmark?", "en").found
    assert answer(core, "What did Claude Opus 4.5 find in the benchmark?", "en").found


def test_a_word_that_names_another_in_a_names_alias_is_not_that_names(seeded_core: Core) -> None:
    """AISI's alias "UK AISI" does not make "UK" AISI's word: "británico" still says it (the
    AISI blog's source is "AISI Blog (UK)"); "put" (meter: "met") is still not said by "Meta"."""
    from bot.answers import _concepts

    question = "¿con quién trabajó el AISI británico en lo del envenenamiento de datos?"
    (british,) = [c for c in _concepts(seeded_core, question, lang="es") if c.word == "británico"]
    assert "uk" in british.stems
    (put,) = [c for c in _concepts(seeded_core, "what did Meta put out?") if c.word == "put"]
    assert "met" not in put.stems


def test_a_spanish_count_counts_the_noun_after_cuantos(seeded_core: Core) -> None:
    """ "cuántos ingenieros construyeron…" counts engineers: "built … in six months" does not
    answer it. A model's size ("a 30B model") counts its parameters."""
    from bot.answers import _counted, _counts

    engineers = _counted(seeded_core, "cuantos ingenieros construyeron el sistema de voz?")
    built = "How we built a realtime system for responsive voice AI in six months"
    assert not _counts(built, engineers, [])
    assert _counts("Six engineers built it.", engineers, [])
    bugs = _counted(seeded_core, "¿Cuántos fallos de seguridad le encontró Claude a Firefox?")
    assert _counts("Claude discovered 22 Firefox vulnerabilities.", bugs, [])
    size = _counted(seeded_core, "de cuantos parametros es muse glimmer")
    assert _counts("Muse Glimmer is a 30B multimodal model.", size, [])
    assert not _counts("Muse Glimmer runs on 30 GPUs.", size, [])


def test_hyphenated_words_between_a_number_and_what_it_counts_are_one_word_each(
    seeded_core: Core,
) -> None:
    """ "16 simple-to-use procedurally-generated environments" counts environments."""
    from bot.answers import _counted, _counts

    counted = _counted(seeded_core, "cuantos entornos trae el benchmark")
    text = "We're releasing Procgen Benchmark, 16 simple-to-use procedurally-generated environments"
    assert _counts(text, counted, [])
    assert not _counts(
        "16 of the new tests were run in several different old environments", counted, []
    )


def test_a_percentage_more_is_a_change_not_a_share(seeded_core: Core) -> None:
    """ "up to 30% more token-efficient" answers "how much more efficient" though its subject
    is in the sentence before; a bare share still needs the asked-about name beside it."""
    from bot.answers import _concepts, _counted, _counts

    counted = _counted(seeded_core, "¿cuánto más eficiente en tokens es Devin Local?")
    devin = [c for c in _concepts(seeded_core, "about Devin", lang="en") if c.is_name]
    assert devin
    text = "In our testing, it's up to 30% more token-efficient than the existing Cascade agent."
    assert _counts(text, counted, devin)
    assert not _counts("Cascade handles 30% of the token-efficient tasks.", counted, devin)


def test_the_noun_right_after_a_number_is_what_it_counts(seeded_core: Core) -> None:
    """ "engineers work across all five steps" counts steps, not employees; "five new
    employees", "28 open- and closed-source LLMs" and "a staff of 500 people" count what is
    asked; "ocho veces más" is how many times, whoever it is of."""
    from bot.answers import _counted, _counts

    employees = _counted(seeded_core, "How many employees does Dagster have?")
    assert not _counts("Dagster helps engineers work across all five steps.", employees, [])
    assert _counts("Dagster hired five new employees.", employees, [])
    assert _counts("Dagster has a staff of 500 people.", employees, [])
    models = _counted(seeded_core, "¿cuántos modelos de lenguaje analizó el estudio?")
    assert _counts(
        "We study the beliefs of 28 open- and closed-source language models.", models, []
    )
    drivers = _counted(seeded_core, "how many drivers can a passenger pick from?")
    assert _counts("el cliente elige al chofer (de entre seis opciones)", drivers, [])
    # an amount of money counts no things, however near it is to them
    partners = _counted(seeded_core, "¿Cuántos socios forman parte de la Partner Network?")
    assert not _counts("Acme invests $100 million into the Partner Network", partners, [])
    assert not _counts("Acme invierte 100 millones de dólares en su red de socios", partners, [])
    assert _counts("The network now has 300 partners", partners, [])
    credits = _counted(seeded_core, "¿Cuántos créditos gratis al mes daba la beta?")
    assert _counts("The beta gave $25 of free API credits per month", credits, [])


def test_a_model_version_is_no_count(seeded_core: Core) -> None:
    """ "researchers at Mozilla, Claude Opus 4.6 found…" says nothing of how many researchers;
    a title's "Funding 60 projects" still counts projects."""
    from bot.answers import _counted, _counts

    researchers = _counted(seeded_core, "¿Cuántos investigadores de Mozilla participaron?")
    text = "With researchers at Mozilla, Claude Opus 4.6 discovered 22 Firefox vulnerabilities."
    assert not _counts(text, researchers, [])
    assert _counts("With 12 researchers at Mozilla, Claude found bugs.", researchers, [])
    projects = _counted(seeded_core, "how many projects does the fund back?")
    assert _counts("Funding 60 projects to advance AI alignment research", projects, [])


def test_the_kind_of_figure_asked_for_ignores_the_figures_the_question_gives(
    seeded_core: Core,
) -> None:
    from bot.answers import _Evidence

    def asked(question: str, lang: str) -> int:
        return len(_Evidence(seeded_core, question, lang, [], {}, False, False).asked)

    assert (
        asked("¿con qué fundación firmó Anthropic un acuerdo de 200 millones de dólares?", "es")
        == 0
    )
    assert asked("what's the startup valued at after its $88M round?", "en") == 1
    # a raise asks for two: a sum, and a sentence about the round (a prize is none)
    assert asked("how much money did the startup raise?", "en") == 2
    # a noun between "how much" and the verb: still a sum ("Model 2" is no answer to it)
    assert asked("how much funding has Common Sense Machines raised?", "en") == 2
    assert asked("¿cuánta financiación consiguió la startup?", "es") == 2
    assert asked("how much money did the startup spend?", "en") == 1


def test_pricing_and_version_questions_ask_for_their_kind(seeded_core: Core) -> None:
    """ "what's the pricing" wants a price, "¿qué versión…?" a number; "paginates" is no
    payment ("pag-" stands for pagar, pagó, not every word that starts so)."""
    from bot.answers import _Evidence, _Sentence, _wants_quantity
    from bot.models import Article

    article = Article(title="t", url="https://example.com/a", lang="en", body="b")

    def answers(question: str, lang: str, text: str) -> bool:
        evidence = _Evidence(seeded_core, question, lang, [], {1: article}, True, False)
        return evidence(_Sentence(1, 0, text, None))

    assert _wants_quantity("what's the pricing for agent evaluations?")
    price = "what's the pricing for agent evaluations?"
    assert not answers(price, "en", "Agent evaluations are now generally available in 2026.")
    assert answers(price, "en", "Evaluations are priced at $0.01 per run.")
    cost = "¿Cuánto cuesta Devin for Terminal?"
    assert not answers(cost, "es", "MCP registry now paginates instead of requesting limit=1000")
    assert answers(cost, "es", "Devin for Terminal cuesta 20 dólares al mes.")
    version = "¿Qué versión de .NET pide el cliente?"
    assert not answers(version, "es", "The Weaviate C# client is now generally available!")
    assert answers(version, "es", "The client requires .NET 8 or later.")


def test_a_redacted_number_answers_no_how_much(seeded_core: Core) -> None:
    """A corpus that masks its digits ("*NUMBER* millones de dólares") gives no figure to quote."""
    from bot.answers import _HAS_NUMBER, _counted, _counts, _without

    masked = "la vendió por *NUMBER* millones de dólares a Specific Media"
    assert not _HAS_NUMBER.search(_without(masked))
    assert _HAS_NUMBER.search(_without("la vendió por seis millones de dólares"))
    counted = _counted(seeded_core, "¿Cuántos millones de usuarios tiene?")
    assert not _counts(_without("*NUMBER* millones de usuarios"), counted, [])


def test_spanish_auxiliaries_and_get_verbs_are_not_content(seeded_core: Core) -> None:
    """ "saca", "obtuvo", "había hecho" frame a question as "gets", "got", "had done" do."""
    from bot.answers import _concepts

    for question in ("que puntaje saca mistral small 3 en MMLU", "¿qué había hecho OpenAI?"):
        stems = set().union(*(c.stems for c in _concepts(seeded_core, question)))
        assert not stems & {"sac", "saca", "hab", "habia", "hech", "hecho"}, stems


def test_a_price_named_in_a_which_question_asks_for_a_thing() -> None:
    from bot.answers import _wants_quantity

    assert not _wants_quantity(
        "Which regulator did Facua complain to about the Movistar, Vodafone and Orange price hikes?"
    )
    assert _wants_quantity("what price did Groq set for Kimi K2?")
    assert _wants_quantity("¿Qué porcentaje de las descargas tiene China?")
    assert _wants_quantity("¿Cuánto cobra el Santander por usar sus cajeros?")
    assert _wants_quantity("what does the new plan cost?")
    assert _wants_quantity("How long has NASA's LRO been collecting data on the Moon?")
    # a price named by a question that asks who
    assert not _wants_quantity("whose image generator did The Batch cover in the price war issue?")
    assert not _wants_quantity("¿con quién firmó Groq el acuerdo de precios?")
    assert _wants_quantity("who knows how much Groq charges?")


def test_who_asks_for_the_doer_of_its_verb(seeded_core: Core) -> None:
    """ "who led the round" is not answered by a name beside another deed; "the wrestler who
    signed" is a relative clause, not the question's verb."""
    from bot.answers import _concepts, _deed

    def deed(question: str) -> set[str]:
        found = _deed(question, _concepts(seeded_core, question))
        return found[0].stems if found else set()

    assert deed("who led groq's $750 million round?") & {"led", "lead", "lider"}
    assert deed("¿Quién reemplazó a Dimas Gimeno como presidente?") & {"reemplaz", "replac"}
    assert deed("¿A quién fichó Groq como director financiero?") & {"hire", "contrat"}
    assert not deed("What's the real name of the wrestler La Sombra who signed with WWE?")
    assert not deed("Who is the CEO of Alibaba?")
    assert not deed("who did the study on downloads?")
    assert deed("quien le pone voz a simba en el remake del rey leon") & {"voz", "voic"}


def test_a_name_with_a_digit_or_camel_case_is_a_name_in_any_language(seeded_core: Core) -> None:
    """ "Hi5" must be in a Spanish article too; "Lion" (capitalised English) and "ATMs" need not."""
    from bot.answers import _concepts

    concepts = _concepts(seeded_core, "Which Mexican TV giant once put money into Hi5?", lang="en")
    hi5 = [c for c in concepts if "hi5" in c.stems]
    assert hi5 and hi5[0].is_name and not hi5[0].unlinked
    atms = [c for c in _concepts(seeded_core, "who owns the ATMs?", lang="en") if "atm" in c.stems]
    assert atms and atms[0].unlinked


def test_a_name_is_not_translated_word_by_word(seeded_core: Core) -> None:
    """ "Surge AI" must be in the cited article; "se dispara" (surges) is not it."""
    from bot.answers import _concepts

    question = "¿En cuánto está valorada Surge AI?"
    if not seeded_core.gazetteer.find("Surge AI"):
        pytest.skip("the gazetteer does not know Surge AI")
    names = [c for c in _concepts(seeded_core, question) if c.is_name]
    assert names and not any(c.matched({"dispar", "dispara", "jump"}) for c in names)


def test_everyday_spanish_framing_is_not_content(seeded_core: Core) -> None:
    """ "lleva", "tenía", "haciendo" frame a question; "tamaño" and "pasta" name the kind of
    answer (a size, a sum), which is checked as evidence instead."""
    from bot.answers import _concepts, _wants_quantity

    for question in (
        "¿cuántas descargas lleva Qwen?",
        "¿cuántos parámetros tenía Qwen?",
        "¿qué está haciendo Alibaba con Qwen?",
        "que tamaño de qwen se puede usar",
        "cuanta pasta ha levantado Alibaba?",
    ):
        stems = set().union(*(c.stems for c in _concepts(seeded_core, question)))
        assert not stems & {"llev", "lleva", "ten", "tenia", "hac", "haciendo", "taman", "pas"}
    assert _wants_quantity("que tamaño de qwen se puede usar")


def test_a_which_question_names_a_thing_or_a_figure() -> None:
    from bot.answers import _asks_for_a_thing

    assert _asks_for_a_thing("which American companies keep their best models closed?")
    assert _asks_for_a_thing("¿Qué empresas chinas destacan?")
    assert not _asks_for_a_thing("what price did Groq set?")
    assert not _asks_for_a_thing("¿Qué porcentaje tiene China?")
    assert not _asks_for_a_thing("what did OpenAI announce?")
    assert not _asks_for_a_thing("¿por qué importa Hugging Face?")  # why, not which


def test_the_role_asked_for_must_sit_beside_a_new_name(seeded_core: Core) -> None:
    """ "Who's the new Chivas coach?" is not answered by a name met far from "director
    técnico"; a headline that gives the name and the title together answers it."""
    from bot.answers import _concepts, _holds_role, _role

    question = "Who's the new Chivas coach now that Almeyda is gone?"
    role = _role(question, _concepts(seeded_core, question))
    assert role
    far = (
        "Tras la charla con el Pelado, en la que también estuvo presente Francisco Gabriel de "
        "Anda, todo se mantiene en suspenso respecto a la decisión de Matias Almeyda de "
        "permanecer o abandonar su cargo como director técnico de Chivas."
    )
    assert not _holds_role(seeded_core, far, question, role)
    assert _holds_role(
        seeded_core, "Chivas nombra a Ricardo Cadena director técnico", question, role
    )


def test_a_translation_spelled_as_a_name_of_the_question_is_that_name(seeded_core: Core) -> None:
    """ "put" translates to "meter" (stem "met"), which "Meta" also stems to: a sentence that
    names Meta has not said "put"."""
    from bot.answers import _concepts

    concepts = _concepts(seeded_core, "what license did meta put muse glimmer under")
    put = [c for c in concepts if not c.is_name and "put" in c.stems]
    assert put and "met" not in put[0].stems


def test_what_the_asker_gives_to_pick_the_event_must_be_in_the_article(seeded_core: Core) -> None:
    """ "¿Quién lideró la serie B de 33 millones?" is not answered by the Series A of $14M."""
    from bot.answers import _series

    assert _series("¿Quién lideró la serie B de 33 millones de Elementl?") == {"series b"}
    assert _series("Announcing our $14M Series A led by Index Ventures") == {"series a"}
    assert not _series("the TV series about AI")
    result = answer(
        seeded_core, "¿Cuántas descargas superaron los modelos Qwen según el 5 %?", "es"
    )
    assert not result.found, result.text  # no seed says 5 %


def test_a_prize_asked_by_how_much_is_a_sum(seeded_core: Core) -> None:
    from bot.answers import _Evidence

    def asked(question: str, lang: str) -> int:
        return len(_Evidence(seeded_core, question, lang, [], {}, False, False).asked)

    assert asked("¿De cuánto era el premio de Parameter Golf de OpenAI?", "es") == 1
    assert asked("how big was the prize?", "en") == 1
    assert asked("¿Qué premio ganó Claude?", "es") == 0
    assert asked("how old is Damián Villa?", "en") == 1
    assert asked("¿qué altura tiene el Nevado de Toluca?", "es") == 1
    assert asked("what year was Weaviate founded?", "en") == 1
    assert asked("what did OpenAI pay Surge AI for the dataset?", "en") == 1
    assert asked("¿en qué comunidad cobran la ayuda más extranjeros?", "es") == 0  # a place


def test_an_age_a_height_or_a_founding_needs_its_own_evidence() -> None:
    """A year in a title is no founding, a date no height, any number no age."""
    from bot.answers import _ASKED

    def evidenced(question: str, quote: str) -> bool:
        return all(e.search(quote) for kind, e in _ASKED if kind.search(question))

    assert not evidenced(
        "what year was Weaviate founded?", "Weaviate in 2025: Reliable Foundations"
    )
    assert evidenced(
        "what year was Weaviate founded?", "Weaviate was founded in 2019 in Amsterdam."
    )
    assert not evidenced("¿qué altura tiene el Nevado?", "El Nevado recibió 2.000 visitas en 2018.")
    assert evidenced("¿qué altura tiene el Nevado?", "El Nevado se eleva a 4.680 metros.")
    assert not evidenced("¿qué edad tiene Villa?", "Villa ganó 3 medallas en 2017.")
    assert evidenced("how old is Villa?", "Villa, a 23-year-old from Monterrey, won.")
    assert not evidenced("what is Irregular valued at?", "Core Values")
    accuracy = "What detection accuracy did the best method reach in the auditing game?"
    assert not evidenced(accuracy, "Auditing games for sandbagging detection")
    assert evidenced(accuracy, "The best method reached 71% detection accuracy.")
    assert not evidenced("¿qué tasa de éxito logró?", "Los agentes completaron tareas.")


def test_a_title_is_quoted_with_the_lede_sentence_that_names_someone() -> None:
    """A paper's title says what it is; the next line says who wrote it."""
    from bot.answers import _Sentence, _with_neighbour

    title = _Sentence(1, -1, "Towards Spectroscopy: Susceptibility Clusters", 7)
    lede = _Sentence(1, 0, "Gordon et al.", 7)
    by_index = {(1, -1): title, (1, 0): lede}
    quote = _with_neighbour(title, by_index, {(1, 0)}, lede=True)
    assert quote.text == "Towards Spectroscopy: Susceptibility Clusters — Gordon et al."
    # a figure's question joins only the lede's first sentence: a figure further down is
    # seldom the title's story
    second = _Sentence(1, 1, "It ran on 64 GPUs.", 7)
    by_index[(1, 1)] = second
    assert _with_neighbour(title, by_index, {(1, 1)}) is title
    assert _with_neighbour(title, by_index, {(1, 1)}, lede=True).text.endswith(
        "— It ran on 64 GPUs."
    )


def test_a_which_question_joins_the_sentence_that_says_the_kind_asked_for() -> None:
    """ "which journal published the survey": the survey's sentence names a university, but
    the answer is the next one, "…published in the journal Environmental Research Letters"."""
    from bot.answers import _Sentence, _with_neighbour

    survey = _Sentence(1, 1, "Researchers at the University of California surveyed experts.", 7)
    journal = _Sentence(1, 2, "Results appeared in the journal Environmental Research Letters.", 7)
    by_index = {(1, 1): survey, (1, 2): journal}
    naming = {(1, 1), (1, 2)}
    quote = _with_neighbour(survey, by_index, naming, kind={(1, 2)})
    assert quote.text == f"{survey.text} {journal.text}"
    assert _with_neighbour(survey, by_index, naming) is survey  # naming alone is enough
    assert _with_neighbour(journal, by_index, naming, kind={(1, 2)}) is journal


def test_a_title_that_names_the_thing_is_quoted_before_the_lede() -> None:
    """ "¿cuál es el modelo abierto de Mistral para agentes?": the lede says what it is,
    the title ("Devstral") which."""
    from bot.answers import _asks_for_a_thing, _Sentence, _with_neighbour

    assert _asks_for_a_thing("¿cuál es el modelo abierto de Mistral para agentes?")
    assert _asks_for_a_thing("what's the hospital where he died?")
    assert not _asks_for_a_thing("what is the price of the H20?")
    title = _Sentence(1, -1, "Devstral", 7)
    lede = _Sentence(1, 0, "Introducing the best open-source model for coding agents.", 7)
    by_index = {(1, -1): title, (1, 0): lede}
    assert _with_neighbour(lede, by_index, {(1, -1)}, lede=True).text == f"Devstral — {lede.text}"
    assert _with_neighbour(lede, by_index, {(1, -1)}) is lede  # a figure's question: no join


def test_the_name_asked_for_may_be_further_down_the_article() -> None:
    """The sentence that matches the question names no one; of the article's naming
    sentences the one that says most of the question is quoted with it, in order."""
    from bot.answers import _Sentence, _with_far

    lede = _Sentence(1, 0, "Placental mammals appeared after the dinosaurs died out.", 7)
    other = _Sentence(1, 2, "The fossils were found in Patagonia.", 7)
    quote = _Sentence(1, 5, "The study was co-written by Alexandre Weksler.", 7)
    by_index = {(1, 0): lede, (1, 2): other, (1, 5): quote}
    said = {(1, 0): 3, (1, 2): 0, (1, 5): 1}
    joined = _with_far(lede, by_index, {(1, 2), (1, 5)}, said, set())
    assert joined is not None and joined.text == f"{lede.text} … {quote.text}"
    assert _with_far(lede, by_index, {(1, 2)}, said, set()) is None  # it says nothing asked
    assert _with_far(lede, by_index, {(2, 5)}, said, set()) is None  # another article's


def test_an_adverb_after_who_is_not_the_deed() -> None:
    """ "who first announced…" asks who announced: a sentence need not say "first"."""
    from bot.answers import _Concept, _deed
    from bot.text import query_terms

    first = _Concept(set(query_terms("first")), [])
    announced = _Concept(set(query_terms("announced")), [])
    assert _deed("who first announced the deal?", [first, announced]) == [announced]
    assert _deed("who quietly announced it?", [first, announced]) == [announced]
    assert _deed("who led the round?", [first, announced]) == []
    supply = _Concept(set(query_terms("supply")), [])
    assert _deed("who supply the chips?", [supply]) == [supply]  # a verb in "-ly"


def test_sentences_are_ordered_by_the_rarer_concepts_they_say() -> None:
    """A concept every sentence says ("Kim") weighs less than the one only the answer's
    sentence says ("wife")."""
    from bot.answers import _Concept, _rarity

    kim, wife = _Concept({"kim"}, []), _Concept({"wife", "esposa"}, [])
    weight = _rarity([kim, wife], [{id(kim)}, {id(kim)}, {id(kim), id(wife)}, set()])
    assert weight[id(wife)] > weight[id(kim)] > 0


def test_a_lower_case_name_with_its_number_must_be_written_together(seeded_core: Core) -> None:
    """ "how many parameters is evo 2": GPT-2's article says "2" and "parameters", but no
    "Evo 2"; "top 5" and known names are left to the other rules."""
    from bot.answers import _numbered_names

    (evo,) = _numbered_names(seeded_core, "how many parameters is evo 2")
    assert evo.search("Evo 2 has 40B parameters") and evo.search("the evo-2 model")
    assert not evo.search("GPT-2 has 1.5B parameters") and not evo.search("Evo 25 ships")
    assert _numbered_names(seeded_core, "what are the top 5 models?") == []
    assert _numbered_names(seeded_core, "how much did it cost in 2024?") == []
    (dalle,) = _numbered_names(seeded_core, "which model failed with dall-e 3?")
    assert dalle.search("DALL·E 3 and Midjourney Fail") and dalle.search("DALL-E 3 ships")
    assert not dalle.search("DALL·E 2 and Midjourney")


def test_which_universities_needs_a_named_one(seeded_core: Core) -> None:
    """ "¿con qué universidades…?" is not answered by a title that names none; "qué tarea"
    may be answered by plain words."""
    from bot.answers import _Evidence, _Sentence
    from bot.models import Article

    article = Article(title="t", url="https://example.com/a", lang="en", body="b")

    def answers(question: str, text: str) -> bool:
        evidence = _Evidence(seeded_core, question, "es", [], {1: article}, False, False)
        return evidence(_Sentence(1, 0, text, None))

    question = "¿con qué universidades canadienses trabaja Anthropic?"
    assert not answers(question, "Anthropic commits $10 million to Canadian AI research")
    assert answers(question, "The funds go to McGill University and Mila in Montreal.")
    assert answers("¿qué tarea se queda en China?", "la inferencia se queda en China")


def test_spanish_determiners_and_modals_are_no_content(seeded_core: Core) -> None:
    """ "¿se juntó con algún fabricante…?", "para poder desplegarse": "algún" and "poder" say
    nothing of what is asked, typed with or without accents."""
    from bot.answers import _concepts

    stems = set().union(
        *(
            c.stems
            for c in _concepts(seeded_core, "¿para poder usarlo, algun fabricante?", lang="es")
        )
    )
    assert not stems & {"algun", "pod", "poder"}
    assert stems & {"fabric", "fabricant"}


def test_what_something_is_called_asks_for_a_thing() -> None:
    """ "¿cómo se llama el benchmark…?" asks for a name, as "which benchmark" does: the noun
    after it is the kind asked for."""
    from bot.answers import _ASKS_NAME, _WH

    for question in (
        "como se llama el benchmark del AISI",
        "what's the name of the journal",
        "¿cómo se llamaba la función de codeium para fijar el contexto?",
        "¿qué nombre le pusieron a la versión 1.11 de Dagster?",
    ):
        assert _ASKS_NAME.search(question)
    assert _WH.search("¿Cómo se llama la ")
    assert not _ASKS_NAME.search("se llama a votar mañana en Madrid")


def test_a_known_name_typed_in_lower_case_keeps_its_version(seeded_core: Core) -> None:
    """ "grok 4.6's context window" is not answered by Grok-1.5's."""
    from bot.answers import _numbered_names

    (grok,) = _numbered_names(seeded_core, "how big is grok 4.6's context window?")
    assert grok.search("Grok 4.6 ships with a 2M context") and not grok.search("Grok-1.5")


def test_age_and_earnings_ask_for_figures(seeded_core: Core) -> None:
    from bot.answers import _Evidence, _wants_quantity

    assert _wants_quantity("que edad tiene jorge kahwagi?")
    evidence = _Evidence(
        seeded_core, "¿Cuánto gana Chicharito en el West Ham?", "es", [], {}, True, False
    )
    assert evidence.asked  # a sum, not any number the article gives


def test_a_german_article_is_no_excuse_for_an_english_name() -> None:
    """ "who's the CEO of Tavus?" is not answered by a German interview with another CEO."""
    from bot.answers import _other_language

    assert _other_language("es", "en") and not _other_language("de", "en")


def test_words_a_scraped_title_runs_together_still_count(core: Core) -> None:
    """A scraped feed glues a page's date, category and title ("2026Societal
    ImpactsClaude’s values"): the question's "Claude" is still in it."""
    from datetime import UTC, datetime

    from bot.ingest.files import Item
    from bot.ingest.types import RawArticle
    from bot.text import glued_words

    assert glued_words("Jul 13, 2026Societal ImpactsClaude’s values") == [
        "2026",
        "societal",
        "impacts",
        "claude",
    ]
    assert glued_words("OpenAI ships iPhone apps; KiYoung joins") == []
    title = "Jul 13, 2026Societal ImpactsClaude’s values across models and languages"
    item = RawArticle(
        title=title,
        body=title,
        url="https://www.anthropic.com/research/claude-values-models-languages",
        published_at=datetime(2026, 7, 13, tzinfo=UTC),
        source_name="Anthropic Research",
    )
    core.ingester.ingest([Item("values", item)])
    question = "When did Anthropic publish the study on Claude's values across languages?"
    result = answer(core, question, "en")
    assert result.found and "Jul 13, 2026" in result.text, result.text


def test_a_bare_title_is_quoted_with_its_short_first_line() -> None:
    """ "Differentiation and Specialization of Attention Heads…" says what the paper is;
    "Wang et al. · ICLR · Spotlight" says who wrote it and where it appeared."""
    from bot.answers import _Sentence, _with_short_lede

    title = _Sentence(1, -1, "Differentiation and Specialization of Attention Heads", 10)
    venue = _Sentence(1, 0, "Wang et al. · ICLR · Spotlight", 10)
    long_lede = _Sentence(2, 0, "A paper " + "on heads " * 10, 11)
    by_index = {(1, -1): title, (1, 0): venue, (2, -1): title, (2, 0): long_lede}
    assert _with_short_lede(title, by_index).text.endswith("— Wang et al. · ICLR · Spotlight")
    assert _with_short_lede(venue, by_index) is venue  # a body sentence stays as it is
    other = _Sentence(2, -1, title.text, 11)
    assert _with_short_lede(other, by_index) is other  # a long lede is quoted on its own
    same = {(3, -1): _Sentence(3, -1, "Claude plays robotics", 12)}
    same[(3, 0)] = _Sentence(3, 0, "Claude plays robotics", 12)
    assert _with_short_lede(same[(3, -1)], same).text == "Claude plays robotics"


def test_a_figure_asked_for_needs_a_figure_of_that_kind_in_the_quote(seeded_core: Core) -> None:
    """A title with no number, a number the question gives, an order of magnitude, a
    valuation for a round's amount, a per-token price for a monthly one, or "2.5x higher
    speeds" for tokens per second answer nothing."""
    from bot.answers import _Evidence, _Sentence, _wants_quantity
    from bot.models import Article

    article: dict[int | None, Article] = {
        1: Article(title="t", body="", lang="en", content_hash="h")
    }

    def answers(question: str, quote: str) -> bool:
        quantity = _wants_quantity(question)
        evidence = _Evidence(seeded_core, question, "en", [], article, quantity, False)
        return evidence(_Sentence(1, 0, quote, 1))

    assert not answers("how many tokens per second does gemma 4 do?", "Faster Gemma 4 on MLX")
    assert not answers("what score did it get after those two settings?", "two settings tripled")
    assert answers("what score did it get after those two settings?", "It scored 41 points.")
    grew = "how much did Faire increase its PR throughput?"  # a multiple answers a growth
    assert answers(grew, "Faire doubles PR throughput with Cursor Cloud Agents")
    assert answers("¿cuánto crecieron sus ventas?", "sus ventas se triplicaron en un año")
    assert not answers("¿cuántas ventas tuvo?", "sus ventas se triplicaron en un año")
    assert not answers("how many hosts were on the ranges?", "networks with dozens of hosts")
    assert answers("how many hosts were on the ranges?", "networks with 48 hosts")
    assert _wants_quantity("what's the parameter count of Tiny Aya?")
    assert not answers("what's the parameter count of Tiny Aya?", "Tiny Aya covers 70 languages")
    assert answers(
        "what's the parameter count of Tiny Aya?", "Tiny Aya has 3.35 billion parameters"
    )
    raised = "how much money did Anthropic raise in the Series E round?"
    assert not answers(raised, "Anthropic raises Series E at $61.5B post-money valuation")
    assert answers(raised, "Anthropic raises $3.5 billion at $61.5B post-money valuation")
    assert answers("what is Anthropic valued at?", "Series E at $61.5B post-money valuation")
    monthly = "how much per month is the Max plan?"
    assert not answers(monthly, "extra usage is offered at 0.50 USD per 1M input tokens")
    assert not answers(monthly, "Max now comes with 25 prompt credits per month")
    assert answers(monthly, "The Max plan costs $200/month")
    speed = "whats the tokens/sec on opus 4.7 fast mode in windsurf"
    assert not answers(speed, "Opus 4.7 (fast mode) with ~2.5x higher output speeds")
    assert answers(speed, "Opus 4.7 fast mode runs at 250 tokens/s in Windsurf")
    assert answers("¿cuántos tokens por segundo da?", "it serves 1,200 tokens per second")
    assert _wants_quantity("how many tokens per second does it do?")
    cards = "how many cards did Mancera hand out?"
    assert not answers(cards, "cards for Movilidad M1 and the GPT-4 demo")  # names' digits
    assert answers(cards, "Mancera handed out 500 cards")
    price = "what's Grok 4 Fast's price per million tokens?"
    assert not answers(price, "Grok 4 Fast: Cost-Efficient Intelligence")  # no sum
    assert answers(price, "Grok 4 Fast costs $0.20 per million input tokens")
    gpt = "¿Cuánto cuesta el millón de tokens de GPT-4o?"  # the 4 of GPT-4o is not the $4
    assert answers(gpt, "GPT-4o tokens now cost $4 per million tokens")
    assert not answers("how much did the mansion cost?", "the mansion cost *NUMBER* millones")
    assert not answers(
        "what's tino cuellar's salary?", "Cuéllar joins as Chief Global Affairs Officer"
    )


def test_hyphens_release_numbers_ages_in_words_and_dates() -> None:
    """ "wifi" is said by "WI-FI"; "la release 1.12" must be the article's; "un niño de ocho
    años" gives an age, "dentro de dos años" does not; "when" is answered by a date."""
    from bot.answers import _ASKED, _ASKS_DATE, _DATED, _terms, _versions

    assert "wifi" in _terms("EL METRO TENDRÁ WI-FI GRATUITO")
    assert _versions("¿cómo se llama la release 1.12 de dagster?") == {"112"}
    assert _versions("what changed in v4 of the API?") == {"4"}

    def age(quote: str) -> bool:
        return all(e.search(quote) for kind, e in _ASKED if kind.search("how old is Laurent?"))

    assert age("Laurent Simons es un niño de ocho años nacido en Brujas")
    assert not age("la justa veraniega de dentro de dos años")
    assert _ASKS_DATE.search("¿para qué fecha llega el soporte?")
    assert _DATED.search("tendrán Wi-Fi gratuito, a partir de agosto próximo")
    assert not _DATED.search("Tres líneas del metro tendrán Wi-Fi gratuito")


def test_an_opening_verb_or_adverb_names_no_one(seeded_core: Core) -> None:
    """ "Connecting the digital and physical worlds…" is no name for "what was xAI's first
    multimodal model?"; the title "Grok-1.5 Vision Preview" is."""
    from bot.answers import _new_name

    question = "what was xai's first multimodal model?"
    opening = "Connecting the digital and physical worlds with our first multimodal model."
    assert not _new_name(seeded_core, opening, question)
    assert _new_name(seeded_core, "Grok-1.5 Vision Preview", question)
    assert not _new_name(seeded_core, "Finalmente el modelo llegó.", "¿qué modelo llegó?")
    # an owner is a name however its run goes on ("… Next-Generation Genomic Foundation Model")
    title = "Interpreting Evo 2: Arc Institute's Next-Generation Genomic Foundation Model"
    assert _new_name(seeded_core, title, "Evo 2 is whose genomic foundation model?")


def test_who_asks_no_sum_and_a_byline_says_who_wrote(seeded_core: Core) -> None:
    """ "who claimed … a money laundering probe?" asks for a person, not a sum; "who wrote
    the paper" is answered by the title's byline ("— Hitchcock and Hoogland")."""
    from bot.answers import _BYLINE, _Evidence

    probe = "who claimed that Anaya can't enter the US because of a money laundering probe?"
    assert not _Evidence(seeded_core, probe, "en", [], {}, False, True).asked
    assert _Evidence(seeded_core, "how much money did they raise?", "en", [], {}, True, False).asked
    assert _BYLINE.search("From Global to Local — Hitchcock and Hoogland")
    assert _BYLINE.search("Differentiation of Attention Heads — Wang et al. · ICLR")
    assert not _BYLINE.search("Introducing Mistral AI Studio. — The Production AI Platform.")
    # a first-person post titled with its writer's name, not a product's title with a colon
    assert _BYLINE.search("Pedram Navid: Why I Joined Dagster Labs")
    assert not _BYLINE.search("Mistral Small: Our best small model")
    # a signed piece: "¿quién firma el comunicado…?" is answered by who it is from
    assert _BYLINE.search("A statement from Dario Amodei on Acme's commitment to AI leadership")
    assert _BYLINE.search("Una carta de Sam Altman a los empleados")
    assert not _BYLINE.search("A statement from the board")


def test_which_version_is_answered_by_a_version_number() -> None:
    """ "¿en qué versión…?" wants "Weaviate 1.37", "Kimi K2‑0905" or "2026-07-28", not the
    "2" inside "multi2vec"."""
    from bot.answers import _VERSION_ASKED, _VERSION_NUMBER

    assert _VERSION_ASKED.search("en que version de weaviate metieron el servidor MCP?")
    assert _VERSION_ASKED.search("which stable Windsurf release (not Next) added quota billing?")
    assert not _VERSION_ASKED.search("what release stage were Dedicated Read Nodes in?")
    assert _VERSION_ASKED.search("which versions of Windows does it support?")
    assert not _VERSION_ASKED.search("which company builds AI for financial diligence?")
    assert not _VERSION_ASKED.search("what release date did they give?")
    assert _VERSION_ASKED.search("¿qué parche de Windsurf mejoró las conexiones MCP SSE?")
    assert _VERSION_ASKED.search("which windsurf next build fixed the input bar?")
    assert not _VERSION_ASKED.search("¿qué arregla el parche de Windsurf Next 1.8.106?")
    for text in ("Weaviate 1.37 Release", "Introducing Kimi K2‑0905", "spec 2026-07-28", "v4"):
        assert _VERSION_NUMBER.search(text), text
    assert not _VERSION_NUMBER.search("Gemini audio support for multi2vec-google")


def test_an_acronym_asked_for_is_answered_by_the_words_that_spell_it() -> None:
    """ "what's FOI short for?" asks for "Freedom of information", whichever way the text
    writes it; "post" and "paper" point at the article and are not required."""
    from bot.answers import _acronym_asked, _expands

    assert _acronym_asked("cohere FOI post - what's FOI short for?") == "FOI"
    assert _acronym_asked("What does STARC stand for in FAR's paper?") == "STARC"
    assert _acronym_asked("¿qué significan las siglas PII?") == "PII"
    assert _acronym_asked("what does it mean for Qwen?") == ""
    assert _expands("FOI", "Freedom of information (FOI) request systems need support.")
    assert _expands("OMS", "según la Organización Mundial de la Salud (OMS), el cáncer")
    assert _expands("STARC", "STARC (STAndardised Reward Comparison) metrics")
    assert _expands("RLHF", "RLHF (reinforcement learning from human feedback) is")
    # some small words lend a letter, others none
    assert _expands("FIM", "code completion and fill-in-the-middle (FIM).")
    assert not _expands("FIM", "code completion in the middle (FIM).")
    assert not _expands("FOI", "The FOI (new) process is manual.")
    assert not _expands("FOI", "The manual nature of the FOI process")


def test_an_acronym_question_quotes_its_expansion(core: Core) -> None:
    from bot.ingest.files import Item
    from bot.ingest.types import RawArticle

    body = (
        "Freedom of information (FOI) request systems need support. The manual, rule-based "
        "nature of the FOI process makes them a prime candidate for AI automation."
    )
    item = RawArticle(title="Modernizing FOI systems with AI", body=body, source_name="Cohere")
    core.ingester.ingest([Item("foi", item)])
    result = answer(core, "cohere FOI post - what's FOI short for?", "en")
    assert result.found and "Freedom of information" in result.text, result.text


def test_a_deed_is_said_by_its_family(seeded_core: Core) -> None:
    """ "who did X pick" is said by "appoints", "who beat X" by "perdió ante", "who
    proposed" by "presentó una iniciativa", "quién firma el paper" by a byline."""
    from bot.answers import _concepts, _terms, _writes

    def says(question: str, word: str, text: str) -> bool:
        (concept,) = [c for c in _concepts(seeded_core, question) if c.word == word]
        return concept.matched(_terms(text))

    assert says("who did anthropic pick to run EMEA?", "pick", "Anthropic appoints Princen")
    assert says("who beat misael rodriguez?", "beat", "Rodríguez perdió ante Melikuziev")
    assert says("which senator proposed it?", "proposed", "presentó una iniciativa")
    (firma,) = [c for c in _concepts(seeded_core, "quien firma el paper?") if c.word == "firma"]
    assert _writes(firma)


def test_a_title_that_does_not_answer_is_tried_with_its_lede() -> None:
    from bot.answers import _Sentence, _title_with_lede

    title = _Sentence(1, -1, "Stagewise Reinforcement Learning and the Geometry of Regret", 5)
    byline = _Sentence(1, 0, "Elliott et al.", 5)
    by_index = {(1, -1): title, (1, 0): byline}
    quote = _title_with_lede(title, by_index, {(1, 0)})
    assert quote is not None and quote.text.endswith("— Elliott et al.")
    assert _title_with_lede(title, by_index, set()) is None


def test_across_languages_a_third_of_the_content_will_do(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An English question about a Spanish article says more than the links translate
    ("faces and voices", "tests"): a sentence of a top-ranked article in the other language
    that says a third of it (checks, students) answers; held to half, nothing does."""
    from datetime import UTC, datetime

    import bot.answers
    from bot.ingest.files import Item
    from bot.ingest.types import RawArticle

    body = (
        "La iniciativa TeSLA, coordinada por la Universitat Oberta de Catalunya, comprueba la "
        "identidad de los estudiantes en los exámenes en línea. El proyecto recibe fondos de "
        "la Comisión Europea."
    )
    published = datetime(2018, 6, 1, tzinfo=UTC)
    article = RawArticle(title="Exámenes sin trampas", body=body, lang="es", published_at=published)
    core.ingester.ingest([Item("uoc", article)])
    question = "Which university steers TeSLA, which checks students' faces and voices in tests?"
    found = answer(core, question, "en")
    assert found.found and "Universitat Oberta de Catalunya" in found.text
    monkeypatch.setattr(bot.answers, "MIN_COVERAGE_ACROSS", bot.answers.MIN_COVERAGE)
    assert not answer(core, question, "en").found


def test_how_long_asks_for_a_length_of_time() -> None:
    """ "¿Cuánto tiempo le llevó…?" is not answered by "18B+ parameters on an eight-chip mesh"."""
    from bot.answers import _ASKED

    rows = [
        (kind, evidence)
        for kind, evidence in _ASKED
        if kind.search("¿Cuánto tiempo le llevó a HeyGen portar Avatar IV a las TPU?")
    ]
    assert len(rows) == 1
    kind, evidence = rows[0]
    assert kind.search("how long were AMLO and Trump on the phone?")
    assert not kind.search("how long is the context window?")  # a length, not a time
    assert not evidence.search("its 18B+ parameter model across an eight-chip mesh")
    for said in ("platicaron durante media hora", "a 2-week free trial", "over the past month"):
        assert evidence.search(said)


def _ingest_one(core: Core, title: str, body: str, source: str, lang: str = "en") -> None:
    from datetime import UTC, datetime

    from bot.ingest.files import Item
    from bot.ingest.types import RawArticle

    published = datetime(2026, 3, 2, tzinfo=UTC)
    raw = RawArticle(title=title, body=body, lang=lang, published_at=published, source_name=source)
    core.ingester.ingest([Item(title, raw)])


def test_a_figure_in_the_lede_answers_with_the_title(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The title says what ("Sling Out Your ETL Provider…"), the lede's first sentence the
    figure ("How we saved $40k"): quoted together they answer "how much did it save" (on
    the words alone: no passage vouched for by the model)."""
    import bot.answers

    monkeypatch.setattr(bot.answers, "DENSE_VOUCH_MARGIN", 10.0)
    _ingest_one(
        core,
        "Sling Out Your ETL Provider with Embedded ELT",
        "How we saved $40k and gained better control over our ingestion steps. "
        "We moved 12 pipelines over two sprints.",
        "Dagster Blog",
    )
    question = "How much did Dagster save by dropping its ETL vendor for embedded ELT with Sling?"
    result = answer(core, question, "en")
    assert result.found and "$40k" in result.text, result.text


def test_a_length_of_time_answers_how_long(core: Core) -> None:
    """ "for about a month" answers "¿cuánto tiempo?" though it has no digit."""
    _ingest_one(
        core,
        "Project Vend",
        "We let Claude manage an automated store in our office as a small business for about "
        "a month. We learned a lot about the future of AI models running things.",
        "Anthropic",
    )
    question = (
        "En Project Vend, ¿cuánto tiempo estuvo Claude gestionando la tienda automática de "
        "la oficina de Anthropic?"
    )
    result = answer(core, question, "es")
    assert result.found and "a month" in result.text, result.text


def test_a_number_counts_only_things_of_its_own_sentence(core: Core) -> None:
    """Quoted after its title, "Throughout 2025" sits beside the title's "Competitions": a
    year of the lede does not count the title's competitions."""
    _ingest_one(
        core,
        "Claude Does Cyber Competitions",
        "Throughout 2025, we have been quietly entering Claude in cybersecurity competitions "
        "designed primarily for humans. It did well.",
        "Anthropic",
    )
    question = "en cuantas competiciones de ciberseguridad participo claude"
    assert not answer(core, question, "es").found


def test_a_sum_asked_in_a_currency_is_not_answered_in_another(core: Core) -> None:
    """ "in euros" is not answered by the same fine reported in dollars."""
    _ingest_one(
        core,
        "EU fines Meta over a privacy breach",
        "The European Union fined Meta $275 million over a privacy breach that exposed the "
        "data of 533 million users.",
        "The Batch",
    )
    assert not answer(core, "What was the EU's privacy fine on Meta in euros?", "en").found
    dollars = answer(core, "What was the EU's privacy fine on Meta in dollars?", "en")
    assert dollars.found and "$275 million" in dollars.text, dollars.text


def test_a_hyphenated_model_id_is_one_name_not_its_words(core: Core) -> None:
    """ "grok-code-fast-1" is a name: "code" and "fast" in "agentic coding" and "speedy"
    are not the context window asked for."""
    _ingest_one(
        core,
        "Grok Code Fast 1",
        "We're thrilled to introduce grok-code-fast-1, a speedy and economical reasoning "
        "model that excels at agentic coding.",
        "xAI",
    )
    assert not answer(core, "¿qué ventana de contexto tiene grok-code-fast-1?", "es").found
    found = answer(core, "what kind of coding does grok-code-fast-1 excel at?", "en")
    assert found.found and "agentic coding" in found.text, found.text


@pytest.mark.parametrize(
    ("title", "body", "lang", "question", "expected"),
    [
        (  # the title says what happened, the body which airline acted
            "Indignación en Colombia por el comportamiento de sus aficionados en el Mundial",
            "Los videos circularon en redes sociales durante el fin de semana. Avianca, la "
            "principal aerolínea del país, identificó a uno de ellos como trabajador suyo y "
            "anunció su despido.",
            "es",
            "Which airline fired an employee over the Colombian fans at the World Cup?",
            ("Avianca", "Mundial"),
        ),
        (  # the first clause restates the title; the body says what the last clause asks
            "Moving our billing database to the cloud without downtime",
            "The work took our platform team three months and touched every service we run. "
            "We kept customer records encrypted at every step of the migration.",
            "en",
            "they moved the billing database to the cloud without downtime, "
            "what did they keep encrypted?",
            ("customer records", "billing database"),
        ),
    ],
)
def test_a_sentence_is_read_and_quoted_with_its_title(
    core: Core,
    monkeypatch: pytest.MonkeyPatch,
    title: str,
    body: str,
    lang: str,
    question: str,
    expected: tuple[str, str],
) -> None:
    """A sentence that names who acted, or says what a question's last clause asks, may
    leave the rest to its title: quoted together they answer (on the words alone: no
    passage vouched for by the model)."""
    import bot.answers

    monkeypatch.setattr(bot.answers, "DENSE_VOUCH_MARGIN", 10.0)
    _ingest_one(core, title, body, "A news site", lang=lang)
    found = answer(core, question, "en")
    assert found.found and all(e in found.text for e in expected), found.text


def test_what_something_is_called_is_answered_with_the_title_that_names_it(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "what does xAI call its RAG system" asks for a name: the lede says what, the title
    names it ("Grok Collections API")."""
    import bot.answers

    monkeypatch.setattr(bot.answers, "DENSE_VOUCH_MARGIN", 10.0)
    _ingest_one(
        core,
        "Grok Collections API",
        "State-of-the-art RAG system built directly into our API. It lets you upload files and "
        "search them from any model.",
        "xAI",
    )
    found = answer(core, "what does xAI call the RAG system built into its API?", "en")
    assert found.found and "Collections" in found.text, found.text


def test_a_name_nobody_knows_is_matched_by_its_spelling_in_the_other_language(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "Sídney" is "Sydney" (the cognate skeletons of bot.cognates), as "homofóbico" is
    "homophobic"; a name the gazetteer knows keeps to its aliases."""
    import bot.answers

    monkeypatch.setattr(bot.answers, "DENSE_VOUCH_MARGIN", 10.0)
    _ingest_one(
        core,
        "Sydney will become Anthropic's fourth office in Asia-Pacific",
        "Anthropic is opening an office in Sydney to serve customers across Australia.",
        "Anthropic",
    )
    question = "la oficina de Anthropic en Sídney, ¿qué número de oficina es en Asia-Pacífico?"
    found = answer(core, question, "es")
    assert found.found and "fourth" in found.text, found.text


def test_a_name_after_of_is_where_a_role_is_held_not_who_holds_it(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "the new Chivas coach" is not named by "la salida del entrenador argentino del
    Guadalajara" (the club, after "del"); "Julen Lopetegui es el nuevo entrenador del Real
    Madrid" names one."""
    import bot.answers

    monkeypatch.setattr(bot.answers, "DENSE_VOUCH_MARGIN", 10.0)
    _ingest_one(
        core,
        "Almeyda se va de Chivas",
        "Matías Almeyda ya se despidió de sus jugadores. La salida del entrenador argentino del "
        "Guadalajara se hará oficial este lunes en rueda de prensa.",
        "El Universal",
        lang="es",
    )
    assert not answer(core, "Who's the new Chivas coach now that Almeyda is gone?", "en").found
    _ingest_one(
        core,
        "Lopetegui, nuevo entrenador del Real Madrid",
        "Julen Lopetegui es el nuevo entrenador del Real Madrid tras la salida de Zidane.",
        "El Universal",
        lang="es",
    )
    found = answer(core, "Who is the new Real Madrid coach?", "en")
    assert found.found and "Lopetegui" in found.text, found.text


@pytest.mark.parametrize(
    ("code", "lang", "mark"),
    [
        ("es", "en", "(in Spanish)"),
        ("en", "es", "(en inglés)"),
        ("de", "en", "(in German)"),
        ("de", "es", "(en alemán)"),
        ("sv", "en", "(in another language: sv)"),
    ],
)
def test_a_quote_in_another_language_is_marked_with_its_name(
    code: str, lang: str, mark: str
) -> None:
    """A feed may keep a declared language other than Spanish or English (``de``): its
    quotes are marked by name, never by a message code."""
    from bot.i18n import in_language

    assert in_language(code, lang) == mark


@pytest.mark.parametrize(
    ("title", "body", "question", "expected"),
    [
        (  # "it" is missing deadlines, said in the sentence before
            "On Deadlines",
            "Contrary to what many managers believe, missing deadlines is no sign of ambition. "
            "In fact, it is the single habit that holds small teams back the most. "
            "Here is how we stopped.",
            "the founder says one habit holds small teams back: which one?",
            "missing deadlines",
        ),
        (  # the lede names people and the institute; the place is said after "at" further on
            "Ballot printing begins for the presidential election",
            "The electoral institute began printing 90 million ballots for the presidential "
            "election, its president Lorenzo Vidal said on Monday. The paper has the same "
            "security features as banknotes. Inspectors from every party watched the first "
            "sheets. Observers from the OAS were invited as well. The ballots are printed at the "
            "Talleres Gráficos de México, which also prints the country's textbooks.",
            "where are the presidential election ballots being printed?",
            "Talleres Gráficos",
        ),
        (  # "where … paid for" asks a place, not a price
            "Masses are free, the Pope says",
            "The Pope said on Wednesday that masses are never paid for. A donation is "
            "welcome but never required. He spoke at the general audience held in the Paul "
            "VI hall.",
            "where was the Pope when he said masses are never paid for?",
            "Paul VI",
        ),
    ],
)
def test_the_quote_carries_what_is_asked(
    core: Core, title: str, body: str, question: str, expected: str
) -> None:
    """A sentence opening on a pronoun is quoted after what it points to; "where" quotes
    the sentence that says a place."""
    _ingest_one(core, title, body, "A news site")
    result = answer(core, question, "en")
    assert result.found and expected in result.text, result.text


@pytest.mark.parametrize(
    ("question", "lang", "without", "with_it", "figure"),
    [
        (  # a prize the company offers is no round
            "¿cuánto dinero ha levantado Acme AI de inversores?",
            "es",
            (
                "The $250K Puzzle Prize and Human-AI Collaboration",
                "Acme AI is offering a $250K prize for tasks where bigger models do worse.",
            ),
            ("Acme AI raises $40M Series B", "Acme AI raised $40 million in a Series B."),
            "40",
        ),
        (  # "open-source" names no license
            "what license is the Bolt GPU language released under?",
            "en",
            (
                "Introducing Bolt: Open-source GPU programming for neural networks",
                "Bolt is an open-source Python-like language for writing fast GPU kernels.",
            ),
            (
                "Bolt 2 is out",
                "Bolt 2, the GPU language, is released under the Apache 2.0 license.",
            ),
            "Apache 2.0",
        ),
        (  # a title that only says "faster" gives no frame rate
            "what frame rate does FastTrack 2 hit for real-time video tracking?",
            "en",
            (
                "FastTrack 2: Faster and More Accessible Real-Time Video Tracking",
                "We release FastTrack 2, which tracks objects in real-time video on a laptop.",
            ),
            ("FastTrack 2 benchmarks", "FastTrack 2 tracks real-time video at 48 fps on a laptop."),
            "48 fps",
        ),
        (  # "acquired" with no sum is no price
            "how much was Zapp acquired for?",
            "en",
            (
                "Why to start a startup",
                "Three of our startups have been acquired so far, Zapp among them.",
            ),
            ("Zapp acquired for $20M", "Zapp was acquired for $20 million by a bigger firm."),
            "20",
        ),
        (  # a hashtag is the tag itself, not the line that says there is one
            "what hashtag does the academy use to answer language questions on twitter?",
            "en",
            (
                "The academy on Twitter",
                "The academy answers hundreds of language questions on Twitter every week.",
            ),
            (
                "The academy's Twitter desk",
                "On Twitter the academy answers language questions under the hashtag "
                "#AcademyAnswers.",
            ),
            "#AcademyAnswers",
        ),
        (  # "three experiments where participants…" counts experiments, not people
            "how many people took part in the debate experiments?",
            "en",
            (
                "Debate experiments",
                "In the debate study we ran three preregistered experiments where participants "
                "argued with a chatbot.",
            ),
            (
                "Debate study size",
                "More than 2,000 participants took part in the debate experiments.",
            ),
            "2,000",
        ),
        (  # "five years" is no final score
            "what was the final score when Granollers beat Barcelona?",
            "en",
            (
                "Granollers beat Barcelona",
                "Granollers beat Barcelona in the league after five years without a win there.",
            ),
            ("Granollers 31-30 Barcelona", "Granollers beat Barcelona 31-30 in the league."),
            "31-30",
        ),
        (  # "a three-step algorithm" counts steps; "two ideas" does not
            "how many steps does the Acme training algorithm have?",
            "en",
            (
                "Acme's training algorithm",
                "The Acme training algorithm has two ideas behind it and learns from feedback.",
            ),
            ("Acme's algorithm", "The Acme training algorithm is a three-step process."),
            "three-step",
        ),
        (  # "4 to 7 months" counts months, not the models before it
            "how many models did the lab evaluate for its trends report?",
            "en",
            (
                "The lab's trends report",
                "For its trends report the lab evaluated open models released 4 to 7 months "
                "after closed models.",
            ),
            ("Trends report methods", "For its trends report the lab evaluated 30 models."),
            "30",
        ),
        (  # "100 humans" counts the people asked about; "three weeks" does not
            "¿a cuántas personas pidió Acme que etiquetaran las imágenes?",
            "es",
            ("Acme labels images", "Acme asked volunteers to label the images over three weeks."),
            ("Acme's labelling study", "Acme asked 100 humans to label the images."),
            "100",
        ),
        (  # "both of" answers "how many of the awards", however long the awards' name
            "how many of the Test of Time awards did former Acme students win?",
            "en",
            (  # "both X and Y" counts nothing
                "Acme alumni at the conference",
                "Former Acme students won both a Test of Time award and praise from peers.",
            ),
            (
                "Acme alumni win awards",
                "Former Acme students won both of this year's Test of Time Paper Awards.",
            ),
            "both",
        ),
        (  # "¿qué parte de la serie…?" asks for the instalment ("part IV"), not a share
            "¿en qué parte de la serie sobre agentes de Acme explican la memoria?",
            "es",
            (
                "Agents that remember",
                "Our series on agents continues: how Acme agents keep memory between tasks.",
            ),
            ("Acme agent memory", "In part IV of our series on Acme agents we explain memory."),
            "part IV",
        ),
    ],
)
def test_a_question_needs_its_kind_of_evidence(
    core: Core,
    question: str,
    lang: str,
    without: tuple[str, str],
    with_it: tuple[str, str],
    figure: str,
) -> None:
    """An article that only comes near the answer is none; one that says it answers."""
    _ingest_one(core, *without, "A company blog")
    assert not answer(core, question, lang).found
    _ingest_one(core, *with_it, "A company blog")
    result = answer(core, question, lang)
    assert result.found and figure in result.text, result.text


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("where are the ballots printed?", True),
        ("¿en qué ciudades se hará el evento?", True),
        ("in which countries did Facebook launch Hello?", True),
        ("¿en qué país nació?", True),
        ("which company bought it?", False),
        ("in which brazilian city did they meet?", True),
        ("which spanish city was the first to fine beggars?", False),  # the city does it
    ],
)
def test_a_place_is_asked_in_the_singular_and_the_plural(question: str, asks: bool) -> None:
    from bot.answers import _PLACE_ASKED

    assert bool(_PLACE_ASKED.search(question)) == asks


def test_a_false_friend_is_matched_only_as_the_word_itself() -> None:
    """ "fines" stemmed as Spanish is "fin": "multas" must not match every "a fin de"."""
    from bot.answers import _stems_and_phrases

    assert "fin" not in _stems_and_phrases(["multas", "fines"])[0]
    assert "fin" in _stems_and_phrases(["fin"])[0]


def test_how_long_asks_for_a_length_of_time_not_the_word_long(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "how long did the pretraining stage take" is answered by "took three weeks", which
    says no "long" (on the words alone: no passage vouched for by the model)."""
    import bot.answers

    monkeypatch.setattr(bot.answers, "DENSE_VOUCH_MARGIN", 10.0)
    _ingest_one(
        core, "Acme trains Falcon", "Pretraining Falcon took three weeks on 512 GPUs.", "Blog"
    )
    result = answer(core, "how long did the Falcon pretraining stage take?", "en")
    assert result.found and "three weeks" in result.text, result.text


def test_speed_in_a_phrase_asks_for_no_figure() -> None:
    """ "navegar a la velocidad del pensamiento" asks a name; "what speed" a figure."""
    from bot.answers import _QUANTITY

    assert not _QUANTITY.search(
        "¿cómo se llama el navegador para navegar a la velocidad del pensamiento?"
    )
    assert not _QUANTITY.search("what is goodfire's search meant to speed up?")
    assert _QUANTITY.search("what speed does the new chip reach?")


def test_quoted_words_and_lower_case_names_must_be_in_the_article(seeded_core: Core) -> None:
    """Words the asker quotes ('resourceful') are the article's own, which it must say
    (through their translations: 'dream' / "sueño"); so is a lower-case run the articles
    store as a name ("bmi research" / "BMI Research")."""
    from bot.answers import _concepts, _lower_runs, _names_by_use

    quoted = {c.word: c for c in _concepts(seeded_core, "¿qué año dio el ensayo 'resourceful'?")}
    assert quoted["resourceful"].quoted and not quoted["año"].quoted
    dream = {c.word: c for c in _concepts(seeded_core, "who said Ronaldo is a 'dream'?", lang="en")}
    assert dream["dream"].quoted and "sueno" in dream["dream"].stems
    question = "¿quién dirige bmi research?"
    concepts = _concepts(seeded_core, question, lang="es")
    assert ["bmi", "research"] in [[c.word for c in run] for run in _lower_runs(question, concepts)]
    runs = _lower_runs(question, concepts)
    named = _names_by_use(concepts, {"bmi research"}, runs)
    assert [c.word for c in named] == ["bmi", "research"]
    assert _names_by_use(concepts, {"research"}, runs) == []
    # two words the lexicon links, that one title capitalised ("A Case Study in…"), are none
    asked = "which customer did Acme's case study cover?"
    linked = _concepts(seeded_core, asked, lang="en")
    assert _names_by_use(linked, {"case study"}, _lower_runs(asked, linked)) == []
    quoted_deal = _concepts(seeded_core, "the 'dream' deal")
    assert _names_by_use(quoted_deal, set(), _lower_runs("the 'dream' deal", quoted_deal))


def test_a_place_is_named_after_a_common_noun_with_or_without_de() -> None:
    """ "en la ciudad de Cáceres" and "en el aula Pablo VI" both put a name after "en"."""
    from bot.answers import _AT_PLACE

    for text, name in (
        ("Ambos vivían en la ciudad de Cáceres, estado de Mato Grosso.", "Cáceres"),
        ("Habló durante la audiencia celebrada en el aula Pablo VI del Vaticano.", "Pablo VI"),
    ):
        match = _AT_PLACE.search(text)
        assert match and text[match.end() :].startswith(name), text


def test_a_full_name_asked_is_the_acronym_spelled_out() -> None:
    """ "¿qué empresa es WWT? el nombre completo" asks what WWT stands for, which a run of
    capitalised words with its initials answers."""
    from bot.answers import _acronym_asked, _expands

    assert _acronym_asked("¿qué empresa es WWT, la que usa codeium? el nombre completo") == "WWT"
    assert _acronym_asked("what's the full name of WWT?") == "WWT"
    assert _acronym_asked("what's the full name of the WWT and AWS deal?") == ""
    assert _expands("WWT", "World Wide Technology on Codeium")
    assert not _expands("WWT", "the world wide web")


def test_an_agency_is_named_by_its_initials(seeded_core: Core) -> None:
    """English posts write the Department of Defense as "DoD" ("compliant with DoD IL5"): a
    question naming the Departamento de Defensa must accept them."""
    gazetteer = seeded_core.gazetteer
    assert gazetteer.find("compliant with DoD IL5") == gazetteer.find("Departamento de Defensa")
    assert gazetteer.find("Departamento de Defensa")


def test_a_name_in_the_plural_is_named(seeded_core: Core) -> None:
    """ "custom MCPs" names MCP, as "NVIDIA's" names Nvidia; "MCUs" does not."""
    from bot.answers import _concepts, _terms

    concepts = _concepts(seeded_core, "which Acme product runs MCP connectors?", set(), "en")
    mcp = next(c for c in concepts if c.word == "MCP")
    assert mcp.named_in(_terms("Build with built-in and custom MCPs in Studio"))
    assert not mcp.named_in(_terms("Build with built-in and custom MCUs in Studio"))
    # and "PDFs" is named by "PDF files"
    concepts = _concepts(seeded_core, "¿qué herramienta de Acme convierte PDFs?", set(), "es")
    pdfs = next(c for c in concepts if c.word == "PDFs")
    assert pdfs.named_in(_terms("Acme Extract turns PDF files into Markdown"))


def test_whose_asks_for_a_person_and_a_quote_joined_twice_is_shown_once() -> None:
    """ "whose quote opens the essay" wants the line that names Einstein; the title joined to
    that line as a lede ("—") and as the line it explains ("…") is one quote, shown once."""
    from bot.answers import _WHO, _distinct, _Sentence

    assert _WHO.search("whose quote opens Paul Graham's essay on orthodox privilege?")
    lede = _Sentence(1, 0, 'Orthodox Privilege — Most people are "…"— Einstein', 3)
    joined = _Sentence(1, 0, 'Orthodox Privilege … Most people are "…"— Einstein', 3)
    other = _Sentence(2, 0, "Another quote", 4)
    assert _distinct([lede, joined, other]) == [lede, other]


def test_the_words_that_ask_for_a_name_are_not_content(core: Core) -> None:
    """ "¿qué nombre le pusieron a…?" asks for a name: "pusieron" (put) is not a word the
    answer must say, so the release's title answers it."""
    _ingest_one(core, "Acme 2.4: Blue Heron", "Faster builds and a new scheduler.", "Acme blog")
    result = answer(core, "¿qué nombre le pusieron a la versión 2.4 de Acme?", "es")
    assert result.found and "Blue Heron" in result.text, result.text
    titled = answer(core, "¿cómo se titula la versión 2.4 de Acme?", "es")  # "titula": asks
    assert titled.found and "Blue Heron" in titled.text, titled.text
    codename = answer(core, "¿cuál es el nombre en clave de Acme 2.4?", "es")
    assert codename.found and "Blue Heron" in codename.text, codename.text


def test_words_quoted_in_one_language_need_not_be_the_other_languages_article(
    core: Core,
) -> None:
    """A Spanish asker quoting 'conoció' renders an English headline ("Meets") in their own
    words: the English article need not say the Spanish word. A Spanish article must."""
    _ingest_one(
        core,
        "Joe Rogan Meets Steve Jobs (Virtually)",
        "The podcaster Joe Rogan talked with a synthetic Steve Jobs built from his speeches.",
        "Acme news",
    )
    result = answer(core, "¿qué podcaster 'conoció' virtualmente a Steve Jobs?", "es")
    assert result.found and "Joe Rogan" in result.text, result.text
    assert not answer(core, "¿qué podcaster 'entrevistó' a Steve Jobs?", "en").found


def test_a_country_after_in_is_where_not_a_qualifier(core: Core) -> None:
    """ "which US national lab" qualifies (see ``country-qualifier`` below); "employees in
    Europe" says where, which the post must say."""
    from bot.answers import _qualifies

    where = "cuantos empleados tiene acme en europa"
    assert not _qualifies(core, where, where.index("europa"), len(where))
    assert _qualifies(core, "which US national lab", 6, 8)


def test_a_month_asked_does_not_crowd_out_the_subject(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Posts that say the month can fill the whole top of the search; the subject is also
    searched without the month, and what that finds published then is read."""
    from datetime import UTC, datetime

    from bot.ingest.files import Item
    from bot.ingest.types import RawArticle

    def add(title: str, body: str, month: int) -> None:
        published = datetime(2025, month, 20, tzinfo=UTC)
        raw = RawArticle(title=title, body=body, lang="en", published_at=published)
        core.ingester.ingest([Item(title, raw)])

    add("Acme partners with the podcaster Theo Von", "Acme partners with Theo Von.", 8)
    add("Acme partners with the podcaster Lex Fridman", "Acme partners with Lex Fridman.", 3)
    searcher = core.searcher
    real = searcher.search_with_lexical
    crowded = lambda query, **kw: ([], []) if "2025" in query else real(query, **kw)  # noqa: E731
    monkeypatch.setattr(searcher, "search_with_lexical", crowded)
    result = answer(core, "¿con qué podcaster se asoció Acme en agosto de 2025?", "es")
    assert result.found and "Theo Von" in result.text and "Lex" not in result.text, result.text


def test_an_issue_is_the_document_and_got_back_is_came_back(seeded_core: Core) -> None:
    """ "in The Batch's November 19 issue" points at the post (counted where said, never
    required), and "come back from" is said as "got back from"."""
    from bot.answers import _concepts

    question = "which conference had Ng just come back from in The Batch's issue?"
    concepts = {c.word: c for c in _concepts(seeded_core, question, set(), "en")}
    assert concepts["issue"].document and concepts["issue"].optional
    assert ("got", "back") in concepts["come"].phrases, concepts["come"].phrases


def test_a_count_in_spanish_is_of_the_noun_after_its_adjective() -> None:
    """ "cuántas buenas prácticas" counts practices ("5 Best Practices"), not "buenas"."""
    from bot.answers import _spanish_noun

    assert _spanish_noun("buenas prácticas de la ingeniería".split()) == "buenas prácticas de la"
    assert _spanish_noun("nuevas funciones lanzó".split()) == "nuevas funciones"
    assert _spanish_noun("millones de descargas".split()) == "descargas"
    assert _spanish_noun("ingenieros construyeron".split()) == "ingenieros"


def test_a_version_asked_is_answered_only_by_a_quote_that_gives_one(core: Core) -> None:
    """ "which versions of Windows…": a sentence about Windows that gives no version does
    not answer it, however well it covers the question."""
    _ingest_one(
        core,
        "Acme for Windows preview",
        "Acme now supports AMD graphics cards in preview on Windows and Linux.",
        "Acme blog",
    )
    question = "which versions of Windows does the Acme Windows preview support?"
    assert not answer(core, question, "en").found
    _ingest_one(core, "Acme adds Windows 11", "The Acme preview supports Windows 11.", "Acme blog")
    result = answer(core, question, "en")
    assert result.found and "Windows 11" in result.text, result.text


def test_a_date_asked_with_its_day_or_part_of_the_month() -> None:
    """ "on Dec 4, 2024" asks for that week's issue, not any of December's; "mid-November"
    and "a principios de abril" say when, not what."""
    from datetime import UTC, datetime

    from bot.answers import _when

    when, said = _when("Per The Batch on Dec 4, 2024, which model maker scaled up?")
    assert when is not None and (when.month, when.year, when.day) == (12, 2024, 4)
    assert {"dec", "2024", "4"} <= said
    assert when.fits(datetime(2024, 12, 6, tzinfo=UTC), set())
    assert not when.fits(datetime(2024, 12, 18, tzinfo=UTC), set())
    assert "mid" in _when("what did The Batch say in mid-November 2022?")[1]
    assert "principios" in _when("¿qué arregló el parche de principios de abril de 2025?")[1]
    later, _ = _when("who joined in December 12 years ago?")
    assert later is not None and later.day is None


def test_an_untranslated_word_the_other_languages_articles_say_counts() -> None:
    """ "prefill" typed in a Spanish question is English, the language of the posts read: a
    post that never says it is judged on it, as "ligadas", which no English post says, is
    not."""
    from bot.answers import _Concept, _readable

    success = _Concept({"success", "exito"}, [])
    attacks = _Concept({"attack", "ataqu"}, [])
    prefill = _Concept({"prefill"}, [], unlinked=True)
    content = [success, attacks, prefill]
    covered = {id(success), id(attacks)}
    _judged, excused = _readable(content, content, covered, vouched=True)
    assert prefill not in excused
    _judged, theirs = _readable(content, content, covered, vouched=True, theirs={id(prefill)})
    assert prefill in theirs


@pytest.mark.parametrize(
    ("title", "body", "question", "lang", "expected"),
    [
        pytest.param(  # "its IP" names intellectual property, which the post spells out
            "DRW on Codeium",
            "DRW uses Codeium to boost developer productivity while safeguarding intellectual "
            "property.",
            "which firm uses codeium while protecting its IP?",
            "en",
            "DRW",
            id="acronym-in-the-lexicon",
        ),
        pytest.param(  # "se incorporó al consejo" is the post's "appointed to", not "added"
            "Chris Liddell appointed to Acme's board of directors",
            "Chris Liddell appointed to Acme's board of directors",
            "¿quién se incorporó al consejo de administración de Acme?",
            "es",
            "Chris Liddell",
            id="joining-a-board",
        ),
        pytest.param(  # in a changelog "corrigió" is "fixed", not only "corrected"
            "Acme 2.1",
            "Adaptive Fix We fixed a bug with the model router which prevented switching models.",
            "¿qué fallo corrigió Acme 2.1?",
            "es",
            "model router",
            id="a-bug-fixed",
        ),
        pytest.param(  # a lab's own post rarely names its country: it need not say "US"
            "Acme and Los Alamos National Laboratory announce research partnership",
            "Acme and Los Alamos National Laboratory are working to develop safety evaluations "
            "of biological risks.",
            "which US national lab is Acme working with on biological risks?",
            "en",
            "Los Alamos",
            id="country-qualifier",
        ),
        pytest.param(  # "qué modelo de Zephyr" beside a second name: both names are the content
            "Zephyr 2 Turbo on Acme",
            "Zephyr 2 Turbo is now available in Acme for all users.",
            "¿Qué modelo de Zephyr se puede usar en Acme?",
            "es",
            "Zephyr 2 Turbo",
            id="the-kind-between-two-names",
        ),
        pytest.param(  # "whats", typed without its apostrophe, still asks for a name
            "Acme 1.4: Material Girl",
            "The latest release of the Acme orchestrator brings new scheduling controls and "
            "faster asset materialization for every team.",
            "whats the codename of Acme 1.4",
            "en",
            "Material Girl",
            id="whats",
        ),
        pytest.param(  # "describe" is the post's act of telling, not what it tells
            "Acme Nexus: The Knowledge Engine for Agents",
            "Acme Nexus: The Knowledge Engine for Agents",
            "how does Acme describe Nexus?",
            "en",
            "Knowledge Engine",
            id="a-reporting-verb",
        ),
        pytest.param(  # a closing choice is answered by a sentence that says either side
            "Introducing Remote MCP Support in Beta on AcmeCloud",
            "Remote MCP support is now available in beta on AcmeCloud.",
            "is remote MCP support on AcmeCloud GA or still in beta?",
            "en",
            "in beta",
            id="a-closing-choice",
        ),
        pytest.param(  # a version number may follow a letter: "v3"
            "Build enterprise workflows with LangChain and the Acme TypeScript v3 client",
            "LangChain and the Acme TypeScript v3 client power type-safe RAG workflows.",
            "which version of the Acme TypeScript client does the LangChain post use?",
            "en",
            "v3",
            id="a-version-after-a-letter",
        ),
        pytest.param(  # "según la carta de Acme" points at the post, as "the post" does
            "Acme weekly, 8 January",
            "Last Wednesday, the Capitol building was overrun by insurrectionists while members "
            "of Congress were certifying the vote.",
            "¿qué pasó en el Capitolio según la carta de Acme?",
            "es",
            "overrun",
            id="the-letter",
        ),
        pytest.param(  # an age in months is an age
            "Acme weekly, 3 June",
            "A first for my three-month-old daughter Nova: an outing to the park.",
            "how old was Nova when she went on her first outing to the park?",
            "en",
            "three-month-old",
            id="an-age-in-months",
        ),
        pytest.param(  # "VSCodium" in the question, "VS Codium" in the post: the same name
            "Codeium on OpenVSX",
            "Publishing Codeium on OpenVSX enables it for VS Codium.",
            "what enables Codeium for VSCodium?",
            "en",
            "OpenVSX",
            id="camel-case-apart",
        ),
        pytest.param(  # the asker's own "SWE-1" is no version: the title's release is
            "Acme 1.9.1",
            "SWE-1 Improvements Adds multi-modal (image) support to SWE-1.",
            "¿en qué versión de Acme le añadieron soporte de imágenes a SWE-1?",
            "es",
            "1.9.1",
            id="version-in-the-title",
        ),
        pytest.param(  # "mejoraron" asks how much they grew: "tripled" says it
            "Acme tripled its benchmark scores",
            "The new settings tripled Acme's scores on the benchmark.",
            "¿cuánto mejoraron las puntuaciones de Acme en el benchmark?",
            "es",
            "tripled",
            id="a-growth-in-words",
        ),
        pytest.param(  # "qué IDE" asks for one; the post need not say "IDE"
            "Acme Chat in Eclipse",
            "General access to the Acme Chat functionality in Eclipse.",
            "¿a qué IDE llegó el chat de Acme con acceso general?",
            "es",
            "Eclipse",
            id="the-kind-is-an-acronym",
        ),
    ],
)
def test_a_post_answers_a_question_asked_in_other_words(
    core: Core, title: str, body: str, question: str, lang: str, expected: str
) -> None:
    """One post, and a question that says its facts the asker's way."""
    _ingest_one(core, title, body, "Acme news")
    result = answer(core, question, lang)
    assert result.found and expected in result.text, result.text


def test_a_value_or_a_size_asked_needs_a_figure(core: Core) -> None:
    """ "What's the dollar value of…", "what parameter sizes…" ask for figures: a post that
    names the partnership or the models without one does not answer."""
    _ingest_one(core, "Maryland partners with Acme", "Maryland partners with Acme.", "Acme")
    _ingest_one(core, "Granite 3.0 models", "Acme partners with IBM on Granite 3.0 models.", "A")
    assert not answer(
        core, "what's the dollar value of Maryland's partnership with Acme?", "en"
    ).found
    assert not answer(core, "what parameter sizes do the Granite 3.0 models come in?", "en").found
    assert not answer(
        core, "¿de qué tamaños de parámetros son los modelos Granite 3.0?", "es"
    ).found


def test_a_post_named_by_its_title_is_the_one_asked_about(core: Core) -> None:
    """ "en How to Fund a Startup, …": of two essays on venture funding, the one whose title
    the asker gives answers; its title's words are no content to cover."""
    _ingest_one(
        core,
        "The Future of Startup Funding",
        "To fund a startup, venture capital works like a lottery for most founders.",
        "Essays",
    )
    _ingest_one(core, "How to Fund a Startup", "Venture funding works like gears.", "Essays")
    result = answer(
        core, "en How to Fund a Startup, ¿con qué compara la financiación de venture capital?", "es"
    )
    assert result.found and "gears" in result.text and "lottery" not in result.text, result.text


def test_a_models_version_is_no_score(core: Core) -> None:
    """ "Claude Opus 4.1, Sonnet 4.5" names versions: "what score did Opus 4.5 get?" is not
    answered by a post that lists them; "a response rate" is a figure asked for too."""
    _ingest_one(
        core,
        "Investigating models for misalignment",
        "Insights from our alignment evaluations of Claude Opus 4.1 and Opus 4.5.",
        "Acme",
    )
    _ingest_one(core, "Clay + Acme for outbound", "Clay runs its outbound email on Acme.", "A")
    assert not answer(
        core, "what misalignment score did Opus 4.5 get in Acme's evaluation?", "en"
    ).found
    assert not answer(core, "¿qué tasa de respuesta consiguió el outbound de Clay?", "es").found


def test_a_number_the_asker_gives_is_given_in_either_language(core: Core) -> None:
    """ "al activar dos ajustes" gives the English post's "two settings": it answers no
    "cuánto"."""
    _ingest_one(core, "Acme settings", "Acme improved its scores by enabling two settings.", "A")
    assert not answer(
        core, "¿cuánto mejoraron las puntuaciones de Acme al activar dos ajustes?", "es"
    ).found


def test_a_context_window_is_a_size_of_the_model_asked(core: Core) -> None:
    """ "What's the context window of SWE-1.5?" needs a size in tokens, said of SWE-1.5: the
    changelog that gives Sonnet 4.5's 1M window does not answer it."""
    _ingest_one(
        core,
        "Acme Next 1.12.152",
        "Added support for Sonnet 4.5 with a 1M token context window. Fixed a crash in the "
        "terminal. Indexing is faster on large repositories. SWE-1.5 is now the default fast "
        "agent model.",
        "Acme changelog",
    )
    _ingest_one(core, "Grok 4 Fast", "Grok 4 Fast is our most cost-efficient model.", "Acme")
    assert not answer(core, "What's the context window of Acme's SWE-1.5 model?", "en").found
    assert not answer(core, "¿Qué ventana de contexto tiene Grok 4 Fast?", "es").found
    sonnet = answer(core, "¿con qué ventana de contexto soporta Acme a Sonnet 4.5?", "es")
    assert sonnet.found and "1M" in sonnet.text, sonnet.text


def test_an_article_in_a_third_language_is_read_by_its_names_and_numbers(core: Core) -> None:
    """No lexicon links a Spanish or English question to German: "3 Ebenen" gives the count
    asked for though nothing says "niveles", and "– mit Sebastian Herz" names the guest though
    nothing says "guest". The number and the new name must still be there."""
    _ingest_one(
        core,
        "Das AI-First Prinzip - 3 Ebenen, die dein Unternehmen transformieren – mit Elisabeth "
        "L’Orange",
        "In dieser Folge spricht Elisabeth L’Orange über das AI-First Prinzip und die drei "
        "Ebenen, auf denen KI ein Unternehmen verändert.",
        "AI First Podcast",
        lang="de",
    )
    _ingest_one(
        core,
        "KI-gestützte Bedarfsplanung bei Renfert: Ein Praxisbericht aus dem Mittelstand – mit "
        "Sebastian Herz",
        "Wie Renfert mit KI die Bedarfsplanung verbessert: ein Gespräch über Daten, Prognosen "
        "und den Mittelstand.",
        "AI First Podcast",
        lang="de",
    )
    levels = answer(
        core, "¿cuántos niveles tiene el principio AI-First de Elisabeth L'Orange?", "es"
    )
    assert levels.found and "3" in levels.text, levels.text
    guest = answer(
        core,
        "who was the guest on the AI-First podcast episode about demand planning at Renfert?",
        "en",
    )
    assert guest.found and "Sebastian Herz" in guest.text, guest.text
    # nor what the guest did: "habló", "contó" are not read in German either
    _ingest_one(
        core,
        "Von CompanyGPT zur KI-Plattform – wie die Helaba KI konzernweit skaliert – mit Philipp "
        "Schwaab",
        "Philipp Schwaab erzählt, wie die Helaba KI im ganzen Konzern einsetzt.",
        "AI First Podcast",
        lang="de",
    )
    told = answer(core, "¿quién contó en AI First cómo la Helaba escala la IA?", "es")
    assert told.found and "Philipp Schwaab" in told.text, told.text


def test_a_discount_asked_is_a_share_or_a_part_off(core: Core) -> None:
    """ "¿qué descuento…?" is not answered by "all three branches": a discount is a share or a
    part off."""
    _ingest_one(
        core,
        "Offering expanded Acme access to nonprofits",
        "Acme for Nonprofits brings expanded Acme access across all three branches of charities.",
        "Acme news",
    )
    assert not answer(core, "¿qué descuento ofrece Acme for Nonprofits?", "es").found
    _ingest_one(
        core, "Acme Team for nonprofits", "Nonprofits get 75% off Acme Team plans.", "Acme news"
    )
    result = answer(core, "what discount do nonprofits get on Acme Team plans?", "en")
    assert result.found and "75%" in result.text, result.text


def test_a_capitalised_word_for_the_post_is_part_of_a_name(core: Core) -> None:
    """ "Carta Healthcare" is a company, not "the letter" pointing at the post: its employees
    are not counted by a post about someone else's."""
    _ingest_one(
        core,
        "Acme grows",
        "Acme now has 450 employees across three offices.",
        "Acme news",
    )
    assert not answer(core, "¿cuántos empleados tiene Carta Healthcare?", "es").found


def test_the_first_word_after_an_opening_question_mark_is_no_name(seeded_core: Core) -> None:
    """ "¿Cada cuánto…?": Spanish capitalises the question's first word after "¿" as English
    does its first; that makes it no name the article must say."""
    from bot.answers import _concepts

    concepts = _concepts(seeded_core, "¿Cada cuánto financia startups Y Combinator?", set(), "es")
    assert not [c for c in concepts if c.is_name and c.word == "Cada"]


def test_a_source_named_with_a_date_reads_its_posts_of_then(core: Core) -> None:
    """ "según The Batch de finales de julio de 2024": the weekly's issues of that month are
    read, whatever words their headline lists share with the question; not another
    month's, not another source's."""
    from datetime import UTC, datetime

    from sqlmodel import Session, select

    from bot.answers import _of_source_then, _source_names, _when
    from bot.models import Article, Source

    with Session(core.engine) as session:
        batch = Source(kind="feed", url="https://example.com/b.xml", name="The Batch (Andrew Ng)")
        other = Source(kind="feed", url="https://example.com/other.xml", name="Other Weekly")
        session.add_all([batch, other])
        session.commit()
        ids = {"batch": batch.id, "other": other.id}
    issues = [  # (source, published, title)
        ("batch", datetime(2024, 7, 24, tzinfo=UTC), "OpenAI Shrinks GPT-4o, Meta Holds Models"),
        ("batch", datetime(2024, 7, 10, tzinfo=UTC), "Cloudy Path to Zero Emissions, Agents"),
        ("batch", datetime(2024, 9, 4, tzinfo=UTC), "Meta Withholds Models Again, Chips"),
        ("other", datetime(2024, 7, 17, tzinfo=UTC), "Meta Withholds Models From Europe"),
    ]
    for source, _published, title in issues:
        _ingest_one(core, title, f"{title}. More news of the week.", source)
    with Session(core.engine) as session:
        for source, published, title in issues:
            article = session.execute(select(Article).where(Article.title == title)).scalar_one()
            article.source_id, article.published_at = ids[source], published
        session.commit()
        titles = {a.id: a.title for a in session.execute(select(Article)).scalars()}

    question = "Según The Batch de finales de julio de 2024, ¿qué región no tuvo modelos de Meta?"
    when, _said = _when(question)
    assert when is not None
    read = [titles[aid] for aid in _of_source_then(core, question, when)]
    assert sorted(read) == sorted(t for s, p, t in issues if s == "batch" and p.month == 7)
    unnamed = "¿qué región se quedó sin modelos de Meta en julio de 2024?"
    assert _of_source_then(core, unnamed, when) == []
    assert [p.pattern for p in _source_names("The Batch (Andrew Ng, DeepLearning.AI)")] == [
        r"\bbatch\b",
        r"\bandrew\W+ng\b",
        r"\bdeeplearning\.ai\b",
    ]
    assert [p.pattern for p in _source_names("AI FIRST Podcast")] == [r"\bai\W+first\b"]
