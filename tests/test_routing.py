"""Routing: a verb is a command only when what follows fits it; news requests are ``latest``.

Issue #19: "noticias sobre Qwen" answered "Give a number between 1 and 20" and "more about
Mistral" answered with ``story``'s usage. A natural sentence must never become a usage error.
"""

from __future__ import annotations

import pytest

from bot.commands import parse
from bot.core import Core
from bot.service import Service

Route = tuple[str, str, str, str | None]  # text, verb, args, lang (None: the detector's)

# The newest stories (about something), in English ...
NEWS: list[Route] = [
    # the topic first, then the word for news; counts inside the request
    ("Llama news", "latest", "Llama", "en"),
    ("newest Nemotron news", "latest", "Nemotron", "en"),
    ("give me the latest Gemini stories", "latest", "Gemini", "en"),
    ("news about Le Chat", "latest", "Le Chat", "en"),
    ("the latest 5 on Qwen", "latest", "5 Qwen", "en"),
    ("¿algo nuevo de Gemma?", "latest", "Gemma", "es"),
    ("dame las 3 últimas de Codex", "latest", "3 Codex", "es"),
    ("news on Alibaba", "latest", "Alibaba", "en"),
    ("anything on Gemini lately?", "latest", "Gemini", "en"),
    ("got anything about Nvidia?", "search", "Nvidia", "en"),
    ("q hay de nuevo de Mistral?", "latest", "Mistral", "es"),
    ("news about Qwen", "latest", "Qwen", "en"),
    ("News: Nvidia", "latest", "Nvidia", "en"),
    ("latest on OpenAI", "latest", "OpenAI", "en"),
    ("latest 3 anthropic", "latest", "3 anthropic", "en"),
    ("what's new with Anthropic?", "latest", "Anthropic", "en"),
    ("What’s new on DeepSeek", "latest", "DeepSeek", "en"),
    ("what is new with Hugging Face?", "latest", "Hugging Face", "en"),
    ("more about Mistral", "latest", "Mistral", "en"),
    ("more on Mistral", "latest", "Mistral", "en"),
    ("tell me about Hugging Face", "latest", "Hugging Face", "en"),
    ("what's the latest on the Qwen models?", "latest", "Qwen models", "en"),
    ("any news about OpenAI this week?", "latest", "OpenAI", "en"),
    ("what's new?", "latest", "", "en"),
    ("more", "latest", "", "en"),  # not a story without an id
    ("what is new with Mistral lately", "latest", "Mistral", "en"),
    ("show me stories about AI safety institutes", "latest", "AI safety institutes", "en"),
    ("any ollama news lately?", "latest", "ollama", "en"),  # lowercase after "any"
    ("recent qwen stories", "latest", "qwen", "en"),
    ("any good news?", "latest", "", "en"),  # said of the news, not its subject
    # writing on a subject: the most relevant, so search
    ("articles about test set contamination", "search", "test set contamination", "en"),
    ("any papers on RLHF?", "search", "RLHF", "en"),
    ("artículos sobre envenenamiento de datos", "search", "envenenamiento de datos", "es"),
    ("info sobre Dagster", "search", "Dagster", "es"),
    ("any info on Cohere?", "search", "Cohere", "en"),
    ("details on Mistral Workflows", "search", "Mistral Workflows", "en"),
    ("what's been happening with Grok voice?", "latest", "Grok voice", "en"),
    ("dig up whatever you've got on prompt caching", "search", "prompt caching", "en"),
    ("I need everything on the EU AI Act", "search", "EU AI Act", "en"),
    ("what do you have on Cohere?", "search", "Cohere", "en"),
    ("necesito todo lo que tengas sobre agentes", "search", "agentes", "es"),
    ("búscame lo que haya sobre Groq", "search", "Groq", "es"),
    # ... and in Spanish.
    ("noticias sobre Qwen", "latest", "Qwen", "es"),
    ("últimas de OpenAI", "latest", "OpenAI", "es"),
    ("ultimas 5 sobre Qwen", "latest", "5 Qwen", "es"),
    ("¿Qué hay de Qwen?", "latest", "Qwen", "es"),
    ("qué hay de nuevo sobre Nvidia", "latest", "Nvidia", "es"),
    ("¿qué hay de nuevo?", "latest", "", "es"),
    ("lo último de OpenAI", "latest", "OpenAI", "es"),
    ("Novedades de Meta", "latest", "Meta", "es"),
    ("¿Hay novedades de Qwen?", "latest", "Qwen", "es"),
    ("¿qué se sabe de xAI últimamente?", "latest", "xAI", "es"),
    ("noticias de Qwen estos días", "latest", "Qwen", "es"),
    ("más sobre Mistral", "latest", "Mistral", "es"),
    ("cuéntame sobre Hugging Face", "latest", "Hugging Face", "es"),
    ("las últimas noticias de la IA en China", "latest", "IA en China", "es"),
    ("dame las últimas noticias", "latest", "", "es"),
    ("¿algo sobre Cohere y los gobiernos?", "search", "Cohere y los gobiernos", "es"),
]
# Requests said as a sentence no fixed pattern lists, read as a frame (bot.commands.requests).
FRAMES: list[Route] = [
    ("catch me up on Anthropic", "latest", "Anthropic", "en"),
    ("bring me up to speed on the newest Gemini releases", "latest", "Gemini", "en"),
    ("fill me in on what's new with Cohere", "latest", "Cohere", "en"),
    ("can you show me the most recent headlines about Nvidia?", "latest", "Nvidia", "en"),
    ("send me the latest Groq announcements", "latest", "Groq", "en"),
    ("keep me posted on Llama", "latest", "Llama", "en"),
    ("could you pull up the newest posts about Windsurf?", "latest", "Windsurf", "en"),
    (
        "What are the most recent announcements from Google DeepMind?",
        "latest",
        "Google DeepMind",
        "en",
    ),
    ("any fresh posts from the Ollama blog this week?", "latest", "Ollama blog", "en"),
    ("look for posts about reward hacking", "search", "reward hacking", "en"),
    ("I'm looking for articles on GPU export controls", "search", "GPU export controls", "en"),
    ("could you look up anything about prompt injection?", "search", "prompt injection", "en"),
    ("pull up everything you have about Codex", "search", "Codex", "en"),
    ("ponme al día con lo último de xAI", "latest", "xAI", "es"),
    ("mándame las novedades más recientes de Google", "latest", "Google", "es"),
    ("¿me pasas las últimas noticias de DeepSeek?", "latest", "DeepSeek", "es"),
    ("¿qué novedades recientes hay de Mistral?", "latest", "Mistral", "es"),
    ("¿puedes pasarme las noticias de hoy sobre Perplexity?", "latest", "Perplexity", "es"),
    ("últimos lanzamientos de Alibaba", "latest", "Alibaba", "es"),
    ("encuéntrame publicaciones sobre seguridad de la IA", "search", "seguridad de la IA", "es"),
    ("necesito artículos que mencionen a Hugging Face", "search", "Hugging Face", "es"),
    ("tráeme todo lo que haya sobre Kimi", "search", "Kimi", "es"),
    ("dig up whatever we've got on model distillation", "search", "model distillation", "en"),
    ("búscame todo lo que tengamos sobre agentes", "search", "agentes", "es"),
    ("anything about Nvidia lately?", "latest", "Nvidia", "en"),
    # What a maker put out lately, or is busy with, is its newest stories.
    ("what has Mistral shipped lately?", "latest", "Mistral", "en"),
    ("what did Hugging Face release recently?", "latest", "Hugging Face", "en"),
    ("what's Groq been up to?", "latest", "Groq", "en"),
    ("gimme the newest Ollama updates", "latest", "Ollama", "en"),
    ("give us the latest on Cohere", "latest", "Cohere", "en"),
    ("¿qué ha lanzado DeepSeek últimamente?", "latest", "DeepSeek", "es"),
    ("¿qué ha presentado Google recientemente?", "latest", "Google", "es"),
    ("¿en qué anda Cohere?", "latest", "Cohere", "es"),
    ("what is Goodfire working on?", "latest", "Goodfire", "en"),
    ("¿en qué está trabajando Cohere?", "latest", "Cohere", "es"),
    # ... also said as a clause after a verb that asks for the newest
    ("catch me up on what Ollama has been shipping lately", "latest", "Ollama", "en"),
    ("ponme al día de lo que ha lanzado Mistral", "latest", "Mistral", "es"),
    # how recent before the maker, and "tell me" before it all
    (
        "cuéntame qué ha sacado últimamente el AI Security Institute",
        "latest",
        "AI Security Institute",
        "es",
    ),
    ("¿qué ha lanzado recientemente Cohere?", "latest", "Cohere", "es"),
    ("what has Mistral been publishing lately?", "latest", "Mistral", "en"),
    # a word for news between a maker and a subject: the topic is both
    (
        "pull up Paul Graham essays on startup funding",
        "search",
        "Paul Graham startup funding",
        "en",
    ),
    ("show me Anthropic news about funding", "latest", "Anthropic funding", "en"),
    ("gimme the latest Windsurf Next changes", "latest", "Windsurf Next", "en"),
    ("give me the rundown on Perplexity Comet", "latest", "Perplexity Comet", "en"),
    ("resúmeme lo último de Perplexity", "latest", "Perplexity", "es"),
    # how a named subject has been faring; what a maker has been saying of a subject
    ("cuéntame qué pasó con Meta y Muse Spark", "latest", "Meta y Muse Spark", "es"),
    ("what's up with Groq?", "latest", "Groq", "en"),
    (
        "what has Anthropic been saying about the Department of Defense?",
        "search",
        "Anthropic Department of Defense",
        "en",
    ),
]
# Commands stay commands.
COMMANDS: list[Route] = [
    ("subscribe 09:00 Europe/Madrid", "subscribe", "09:00 Europe/Madrid", "en"),
    (
        "suscribir 08:30 America/Argentina/Buenos_Aires nvidia qwen",
        "subscribe",
        "08:30 America/Argentina/Buenos_Aires nvidia qwen",
        "es",
    ),
    ("latest 5", "latest", "5", "en"),
    ("latest 500", "latest", "500", "en"),  # a bad count is still refused with the range
    ("latest ollama news", "latest", "ollama", "en"),
    ("latest news", "latest", "", "en"),
    ("latest 3 qwen stories", "latest", "3 qwen", "en"),
    ("story 3", "story", "3", "en"),
    ("more 12", "story", "12", "en"),
    ("sources", "sources", "", "en"),
    ("lang es", "lang", "es", "es"),
    ("search descargas de Qwen", "search", "descargas de Qwen", "es"),
    ("buscar Nvidia", "search", "Nvidia", "es"),
    ("tendencias 14", "trending", "14", "es"),
    ("ayuda", "help", "", "es"),
    ("cancelar", "unsubscribe", "", "es"),
    ("resumen", "digest", "", "es"),
    ("historial", "history", "", "es"),
]
# Sentences that start with a verb but do not fit it are questions.
QUESTIONS: list[Route] = [
    ("fake news", "ask", "fake news", "en"),
    ("Is Le Chat good?", "ask", "Is Le Chat good?", "en"),
    ("more people use Qwen than Llama?", "ask", "more people use Qwen than Llama?", "en"),
    ("story of DeepSeek's founding", "ask", "story of DeepSeek's founding", "en"),
    ("history of OpenAI", "ask", "history of OpenAI", "en"),
    ("news is overrated, right?", "ask", "news is overrated, right?", "en"),
    ("language models from China?", "ask", "language models from China?", None),
    ("tell me why Qwen is popular", "ask", "tell me why Qwen is popular", "en"),
    (
        "what information does Anthropic collect about users?",
        "ask",
        "what information does Anthropic collect about users?",
        "en",
    ),
    (
        "noticias falsas sobre IA son un problema?",
        "ask",
        "noticias falsas sobre IA son un problema?",
        "es",
    ),
    (
        "cancelar es lo que hizo OpenAI con Sora?",
        "ask",
        "cancelar es lo que hizo OpenAI con Sora?",
        "es",
    ),
    ("¿qué hay en el informe del MIT?", "ask", "¿qué hay en el informe del MIT?", "es"),
    (
        "¿Cuántas descargas superaron los modelos Qwen?",
        "ask",
        "¿Cuántas descargas superaron los modelos Qwen?",
        "es",
    ),
]

# How recent, without a word for news or "on X" after it, is part of a question.
QUESTIONS += [
    (q, "ask", q, None)
    for q in (
        "what are the latest download figures for Qwen?",
        "¿cuál es el modelo más reciente de Mistral?",
        "¿cuántas descargas tienen los últimos modelos de Qwen?",
        "which company released the newest open model?",
        "can you explain why Chinese labs train abroad?",
        "I need help with the digest",
        # a maker's doings without how recent: a question
        "what did OpenAI announce at DevDay?",
        "what has Qwen done for open models?",
        "what is Anthropic working on in safety?",
        # what one release holds: its notes answer, not a list of stories
        "what's new in Windsurf Next 1.13.107?",
        "¿Qué novedades trajo la Wave 11 de Windsurf?",
        "¿qué ha sacado Perplexity en su informe?",
        "¿qué hace un modelo de difusión?",
        # what happened to a thing, and what one was said once, ask facts
        "what happened to the stock price after the launch?",
        "¿qué pasó con las acciones de Alibaba tras el avance de su IA?",
        "what did Anthropic say about the Department of Defense?",
    )
]

ROUTES = NEWS + FRAMES + COMMANDS + QUESTIONS
USAGE_ERRORS = ("Give a number", "Indica un número", "Usage:", "Uso:", "Did you mean")


def test_the_routing_list_covers_both_languages() -> None:
    assert len(ROUTES) >= 40
    assert {lang for *_rest, lang in ROUTES} >= {"es", "en"}


@pytest.mark.parametrize(("text", "verb", "args", "lang"), ROUTES)
def test_route(text: str, verb: str, args: str, lang: str | None) -> None:
    command = parse(text)
    assert (command.verb, command.args) == (verb, args)
    if lang is not None:
        assert command.lang == lang
    assert command.raw == text


def test_discord_latest_takes_an_optional_topic() -> None:
    from adapters.discord.commands import AinewsGroup, command_text
    from bot.commands import SPECS

    def latest_args(n: int | None, topic: str | None) -> str:
        return SPECS["latest"].args({"n": n, "topic": topic})

    latest = AinewsGroup(runner=None).get_command("latest")  # type: ignore[arg-type]
    assert latest is not None
    options = {p.name: p for p in latest.parameters}  # type: ignore[union-attr]
    assert list(options) == ["n", "topic"]
    assert not options["topic"].required and options["topic"].autocomplete
    assert latest_args(None, None) == ""
    assert latest_args(3, None) == "3"
    assert latest_args(None, "Hugging Face") == "Hugging Face"
    assert latest_args(3, "Qwen") == "3 Qwen"
    text = command_text("latest", latest_args(3, "sobre Qwen"), "es")
    assert (parse(text).verb, parse(text).args) == ("latest", "3 Qwen")


# -- through the service, with the real model over the seeds ---------------------------------


@pytest.mark.model
@pytest.mark.parametrize("text", [route[0] for route in NEWS + QUESTIONS])
def test_no_natural_sentence_gets_a_usage_error(service: Service, text: str) -> None:
    reply = service.handle_text(text)
    assert not any(usage in reply.text for usage in USAGE_ERRORS), reply.text


@pytest.mark.model
def test_news_about_a_topic_lists_its_newest_stories(service: Service) -> None:
    es = service.handle_text("noticias sobre Qwen")
    assert es.text == "Lo último sobre «Qwen»:" and not es.error
    assert es.cards and all(c.url and c.url.endswith("004_cfe0271cdde873fb.txt") for c in es.cards)

    en = service.handle_text("news on Alibaba")
    assert en.text == "The latest on “Alibaba”:" and len(en.cards) == 3
    dates = [c.published_at for c in en.cards]
    assert all(dates) and dates == sorted(dates, reverse=True)  # type: ignore[type-var]
    assert len({c.story_id for c in en.cards}) == len(en.cards)  # one card per story

    one = service.handle_text("latest 1 Alibaba")
    assert len(one.cards) == 1 and one.cards[0].title == en.cards[0].title


@pytest.mark.model
def test_a_topic_matches_across_languages_and_aliases(service: Service) -> None:
    # The seeds are Spanish: "desarrolladores chinos", and Alibaba's models "Qwen".
    reply = service.handle_text("tell me about the Chinese developers")
    assert reply.text == "The latest on “Chinese developers”:"
    assert any(c.url and c.url.endswith("002_4cd47c3990649ad3.txt") for c in reply.cards)
    assert service.handle_text("latest on Tongyi Qianwen").cards  # an alias of Qwen


@pytest.mark.model
def test_nothing_recent_about_a_topic_says_so(service: Service) -> None:
    for text in ("latest on Mistral", "more about Mistral"):
        reply = service.handle_text(text)
        assert reply.text.startswith("Nothing recent about “Mistral”.") and not reply.cards
        assert not reply.error
    es = service.handle_text("últimas 3 sobre Mistral")
    assert es.text.startswith("No hay nada reciente sobre «Mistral».")


@pytest.mark.model
def test_a_topic_no_article_names_shows_what_comes_closest(service: Service) -> None:
    """Every word must be in an article for "the latest on X"; when none has them all, the
    reply says so and lists what search finds instead of an empty answer."""
    reply = service.handle_text("news about Alibaba quarterly revenue")
    assert reply.text == "Nothing recent names “Alibaba quarterly revenue”; these come closest:"
    assert reply.cards and not reply.error


@pytest.mark.model
def test_latest_without_topic_and_bad_counts_are_unchanged(service: Service) -> None:
    assert service.handle_text("latest 2").text == "The 2 latest stories:"
    assert service.handle_text("ultimas").text == "Las 3 últimas historias:"
    refused = service.handle_text("latest 500")
    assert refused.error and "Give a number between 1 and 20" in refused.text


def test_the_routing_dev_set_of_requests_said_as_sentences() -> None:
    """bench/data/routing_frames_dev.tsv (verb, language, message): 46 messages written
    before the frame reader existed; every one routes as written."""
    from pathlib import Path

    rows = Path(__file__).resolve().parent.parent / "bench" / "data" / "routing_frames_dev.tsv"
    wrong = []
    for line in rows.read_text(encoding="utf-8").splitlines():
        verb, lang, text = line.split("\t")
        command = parse(text)
        if (command.verb, command.lang) != (verb, lang):
            wrong.append((text, command.verb, command.lang))
    assert len(rows.read_text(encoding="utf-8").splitlines()) == 46
    assert wrong == []


@pytest.mark.model
def test_what_is_a_name_no_sentence_defines_lists_the_stories_that_name_it(
    service: Service,
) -> None:
    """ "cuéntame qué es Alibaba" asks for no fact a sentence gives: when none says what it
    is, the stories that name it do, said as such. A question about a fact still declines."""
    reply = service.handle_text("cuéntame qué es Alibaba")
    header = "Ninguna frase dice qué es «Alibaba»; estas son sus historias más recientes:"
    assert reply.text == header
    assert reply.cards and not reply.error
    assert not service.handle_text("what's Alibaba?").error
    assert service.handle_text("what is Alibaba's headcount?").error
    assert service.handle_text("¿qué es Zorblax?").error  # nothing names it


@pytest.mark.parametrize(
    ("question", "name"),
    [
        ("cuéntame qué es Goodfire", "Goodfire"),
        ("cuéntame qué es Engram de Weaviate", "Engram de Weaviate"),
        ("what is the state of AI", None),
        ("¿qué es Goodfire?", "Goodfire"),
        ("what is Hugging Face?", "Hugging Face"),
        ("whats goodfire", "goodfire"),
        ("who is Dario Amodei", "Dario Amodei"),
        ("what is Groq's valuation?", None),  # a fact of it
        ("what is the price of Le Chat Pro", None),
        ("¿quién es el CEO de Mistral?", None),
        ("what is new with Qwen", None),
    ],
)
def test_what_is_asks_a_name_defined(question: str, name: str | None) -> None:
    """ "what is X?" asks to have X defined only when X reads as a name, not a fact of it."""
    from bot.commands.grammar import defined

    assert defined(question) == name


def test_a_sources_own_posts_are_about_it() -> None:
    """ "latest Goodfire" lists Goodfire Research's posts, which rarely say their own name."""
    from bot.digest import _matches_topics
    from bot.models import Article

    post = Article(
        url="https://example.com/geometry",
        title="Neural geometry of stories",
        body="We look at how features move over time.",
        source_name="Goodfire Research",
    )
    assert _matches_topics(post, set(), ["goodfire"])
    assert not _matches_topics(post, set(), ["anthropic"])


def test_a_known_name_of_several_words_is_named_only_whole(core: Core) -> None:
    """ "latest AI Security Institute": an article about a "instituto" with "seguridad" and
    "IA" in it is not about the AISI; one that says "AISI" is."""
    from bot.commands.reading import _topic_forms

    whole, each = _topic_forms(core, "AI Security Institute")
    assert "aisi" in whole and each == []
    _whole, words = _topic_forms(core, "open source models")
    assert len(words) == 3
