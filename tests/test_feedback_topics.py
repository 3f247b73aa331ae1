"""Votes (bot/feedback.py) and topics as people write them (bot/topics.py), on both backends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.core import Core
from bot.feedback import Feedback, answer_target, cast
from bot.ingest.files import iter_path
from bot.service import Context, Service
from bot.subscriptions import SubscribeError, parse_subscribe
from bot.topics import TopicMatcher, Topics, from_stored, parse_topics, tokens

CHANNEL = ("slack", "T1", "C1")

# --------------------------------------------------------------------------- votes


def test_a_vote_is_one_per_user_and_target_and_changes_on_a_second_click(core: Core) -> None:
    feedback = Feedback(core.engine)
    token = feedback.sign(*CHANNEL, "s:12")
    vote, text = cast(feedback, [CHANNEL], "U1", token, -1, "en")
    assert vote is not None and vote.first and vote.kind == "story" and "👎" in text
    vote, text = cast(feedback, [CHANNEL], "U1", token, 1, "es")
    assert vote is not None and not vote.first and vote.changed and text == "Cambié tu voto a 👍."
    vote, _ = cast(feedback, [CHANNEL], "U1", token, 1, "en")
    assert vote is not None and not vote.changed
    cast(feedback, [CHANNEL], "U2", token, -1, "en")
    (row,) = feedback.summary()
    assert (row.channel, row.kind, row.up, row.down) == ("C1", "story", 1, 1)
    assert feedback.votes_for("slack", "C1") == {"s:12": 0}


def test_forged_or_moved_buttons_count_nothing(core: Core) -> None:
    feedback = Feedback(core.engine)
    token = feedback.sign(*CHANNEL, "r:40")
    target, tag = token.split(".")
    forged = [
        f"r:41.{tag}",  # another target, same tag
        f"{target}.{'0' * len(tag)}",  # a made-up tag
        target,  # no tag
        token + "0",
        "'; DROP TABLE feedback_vote; --",
    ]
    for value in forged:
        vote, text = cast(feedback, [CHANNEL], "U1", value, 1, "en")
        assert vote is None and "not valid" in text
    # The genuine token, clicked in another channel or workspace, is not valid there.
    assert cast(feedback, [("slack", "T1", "C2")], "U1", token, 1, "en")[0] is None
    assert cast(feedback, [("discord", "T1", "C1")], "U1", token, 1, "en")[0] is None
    assert feedback.summary() == []
    # A thread names its parent: the parent's token counts, recorded for the parent.
    vote, _ = cast(feedback, [("slack", "T1", "THREAD"), CHANNEL], "U1", token, 1, "en")
    assert vote is not None and feedback.summary()[0].channel == "C1"


def test_the_key_is_shared_by_every_instance_on_the_database(core: Core) -> None:
    token = Feedback(core.engine).sign(*CHANNEL, answer_target("¿Cuántas descargas?"))
    assert Feedback(core.engine).verify(*CHANNEL, token) == answer_target("cuantas descargas")


# --------------------------------------------------------------------------- topics


def test_topics_are_parsed_as_written() -> None:
    request = parse_subscribe('09:00 Europe/Madrid "Hugging Face" Qwen -crypto -"stock price"')
    assert request.topics == Topics(("Hugging Face", "Qwen"), ("crypto", "stock price"))
    assert str(request.topics) == '"Hugging Face" Qwen -crypto -"stock price"'
    assert (request.local_time, request.timezone) == ("09:00", "Europe/Madrid")
    spanish = parse_subscribe("«Banco de España» “Estados Unidos” -cripto hilo=sí")
    assert spanish.topics == Topics(("Banco de España", "Estados Unidos"), ("cripto",))
    assert spanish.thread is True
    assert from_stored(str(spanish.topics)) == spanish.topics
    assert from_stored("nvidia qwen") == Topics(("nvidia", "qwen"))  # rows from before


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ('"Hugging Face', "topics_unbalanced_quote"),
        ('-"" Qwen', "topics_empty_term"),
        ("thread=maybe", "invalid_thread"),
        (" ".join(f"t{i}" for i in range(21)), "topics_too_many"),
    ],
)
def test_bad_topics_are_refused_with_a_reason(args: str, code: str) -> None:
    with pytest.raises(SubscribeError) as refused:
        parse_subscribe(args)
    assert refused.value.code == code
    assert refused.value.message("es") != refused.value.message("en")


def test_an_entity_matches_by_any_alias_and_short_aliases_only_by_tag(core: Core) -> None:
    for term in ("Estados Unidos", "EE.UU.", "US", "United States"):
        matcher = TopicMatcher(parse_topics(tokens(f'"{term}"')), core.gazetteer)
        assert matcher.wants("Chips", "nothing", {"United States"}), term
    us = TopicMatcher(parse_topics(tokens("US")), core.gazetteer)
    assert not us.wants("They told us", "Useful users use it", set())
    dropped = TopicMatcher(parse_topics(tokens("Qwen -crypto")), core.gazetteer)
    assert dropped.wants("Qwen 3", "Alibaba's model", set())
    assert not dropped.wants("Qwen", "Paid in cryptocurrency", set())
    assert not dropped.wants("Llama", "Meta", set())


ARTICLES = [
    ("Hugging Face hosts a million models", "The Hugging Face hub passed a milestone."),
    ("Qwen 3 tops the coding benchmark", "Alibaba's Qwen 3 leads the open models."),
    ("Qwen tokens launched on a crypto exchange", "A crypto exchange lists a Qwen coin."),
    ("Hugging Face and the stock price of Nvidia", "Analysts link the stock price to AI."),
    ("Mistral opens an office in Madrid", "Mistral hires engineers in Spain."),
]


@pytest.fixture
def topical(core: Core, tmp_path: Path) -> Service:
    path = tmp_path / "topical.jsonl"
    rows = [
        {"title": t, "body": b, "url": f"https://example.com/{n}", "lang": "en"}
        for n, (t, b) in enumerate(ARTICLES)
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    assert len(core.ingester.ingest(iter_path(str(path))).new) == len(ARTICLES)
    return Service(core)


def test_subscription_confirms_the_terms_and_its_digest_leaves_exclusions_out(
    topical: Service,
) -> None:
    ctx = Context(platform="slack", workspace="T1", channel="C9")
    reply = topical.handle_text('subscribe 09:00 Europe/Madrid "Hugging Face" Qwen -crypto', ctx)
    assert not reply.error, reply.text
    assert 'Topics: "Hugging Face" Qwen -crypto.' in reply.text
    digest = topical.handle_text("digest", ctx)
    titles = {card.title for card in digest.cards}
    assert titles == {ARTICLES[0][0], ARTICLES[1][0], ARTICLES[3][0]}
    assert all(card.target and card.target.startswith("s:") for card in digest.cards)
    # Spanish, with a quoted exclusion: shown back the same way.
    reply = topical.handle_text('suscribir "Hugging Face" -"stock price"', ctx)
    assert 'Temas: "Hugging Face" -"stock price".' in reply.text
    titles = {card.title for card in topical.handle_text("resumen", ctx).cards}
    assert titles == {ARTICLES[0][0]}


def test_feedback_command_is_for_managers_in_both_languages(topical: Service) -> None:
    ctx = Context(platform="slack", workspace="T1", channel="C9", user="U1")
    assert "Nobody has voted" in topical.handle_text("feedback", ctx).text
    token = topical.feedback.sign("slack", "T1", "C9", "r:1")
    cast(topical.feedback, [("slack", "T1", "C9")], "U1", token, 1, "en")
    report = topical.handle_text("valoraciones", ctx)
    assert report.fields == [("#C9", "resultados de búsqueda: 👍 1 · 👎 0")]
    refused = topical.handle_text("feedback", Context(channel="C9", can_manage=False))
    assert refused.error
