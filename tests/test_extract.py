"""Article extraction from HTML, and telling feeds from pages."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import DATASETS as SHARED_DATASETS
from conftest import needs_datasets

from bot.ingest.extract import extract_article, looks_like_feed
from bot.ingest.types import IngestError

DATASETS = SHARED_DATASETS / "feeds"
pytestmark = needs_datasets
URL = "https://noticias.example/ia/openai-modelo"

ARTICLE = """<!DOCTYPE html>
<html lang="es-ES"><head><meta charset="utf-8">
<title>OpenAI lanza un modelo | Noticias IA</title>
<meta property="article:published_time" content="2024-05-13T17:30:00+02:00">
<meta property="og:site_name" content="Noticias IA">
<meta name="author" content="Lucía Gómez">
<link rel="canonical" href="https://noticias.example/openai-modelo">
<script>window.tracker = "do not index me";</script>
<style>body { font-family: sans-serif }</style>
</head><body>
<nav><a href="/">Inicio</a> <a href="/ia">IA</a> <a href="/login">Entrar</a></nav>
<article>
<h1>OpenAI lanza un nuevo modelo multimodal</h1>
<p>La empresa presentó el lunes un modelo capaz de razonar sobre texto, audio e imágenes
en tiempo real, con una latencia similar a la de una conversación humana.</p>
<p>Según la compañía, el modelo estará disponible de forma gratuita para todos los usuarios,
aunque los suscriptores de pago tendrán límites de uso más altos.</p>
<p>Los analistas señalan que el anuncio llega un día antes de la conferencia anual de Google,
su principal competidor en el sector de la inteligencia artificial.</p>
</article>
<footer>© 2024 Noticias IA. Todos los derechos reservados.</footer>
</body></html>"""


def test_extracts_text_title_date_and_language() -> None:
    article = extract_article(ARTICLE.encode("utf-8"), url=URL)
    assert article.title == "OpenAI lanza un nuevo modelo multimodal"
    assert article.body.startswith("La empresa presentó el lunes")
    assert article.body.count("\n\n") == 2  # three paragraphs
    assert "tracker" not in article.body and "Inicio" not in article.body
    assert "derechos reservados" not in article.body
    assert article.published_at == datetime(2024, 5, 13, 15, 30, tzinfo=UTC)
    assert article.lang == "es"
    assert article.url == article.guid == URL
    assert article.source_name == "Noticias IA"
    assert article.extra["canonical_url"] == "https://noticias.example/openai-modelo"


def test_accepts_str_and_legacy_encodings() -> None:
    latin1 = ARTICLE.replace('charset="utf-8"', 'charset="iso-8859-1"').encode("iso-8859-1")
    article = extract_article(latin1, url=URL)
    assert "compañía" in article.body
    assert extract_article(ARTICLE, url=URL).title == article.title


def test_date_from_json_ld_and_day_only_fallback() -> None:
    graph = [{"@type": "NewsArticle", "datePublished": "2025-02-03T08:00:00Z"}]
    ld = json.dumps({"@graph": graph})
    page = ARTICLE.replace(
        '<meta property="article:published_time" content="2024-05-13T17:30:00+02:00">',
        f'<script type="application/ld+json">{ld}</script>',
    )
    assert extract_article(page, url=URL).published_at == datetime(2025, 2, 3, 8, tzinfo=UTC)
    undated = ARTICLE.replace(
        '<meta property="article:published_time" content="2024-05-13T17:30:00+02:00">', ""
    )
    assert extract_article(undated, url=URL).published_at is None
    day_only = undated.replace("<head>", '<head><meta name="date" content="13/05/2024">')
    assert extract_article(day_only, url=URL).published_at == datetime(2024, 5, 13, tzinfo=UTC)


@pytest.mark.parametrize(
    "html",
    [
        "<html><body><nav><a href='/'>Home</a></nav></body></html>",
        "<html><head><title>App</title></head><body><div id='root'></div></body></html>",
        "",
        b"\x00\x01binary",
    ],
)
def test_no_article_text_raises_ingest_error(html: str | bytes) -> None:
    with pytest.raises(IngestError, match=r"^no article text found at https://x\.example/a$"):
        extract_article(html, url="https://x.example/a")


@pytest.mark.parametrize("path", sorted((DATASETS / "ai").glob("*.xml"))[:5])
def test_real_feeds_look_like_feeds(path: Path) -> None:
    assert looks_like_feed(path.read_bytes(), "text/xml")


@pytest.mark.parametrize(
    ("content", "content_type", "expected"),
    [
        (b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>', "text/plain", True),
        (b"<feed xmlns='http://www.w3.org/2005/Atom'/>", "text/html", True),
        (b"<?xml version='1.0'?><rdf:RDF xmlns:rdf='x'></rdf:RDF>", None, True),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": []}', None, True),
        (b'{"data": [1, 2, 3]}', "application/json", False),
        (ARTICLE.encode(), "text/html", False),
        (ARTICLE.encode(), "application/rss+xml", False),  # the bytes win over the header
        (b"<html><body>hi</body></html>", None, False),
        (b"", "application/atom+xml", True),  # nothing to sniff: trust the header
        (b"", "text/html", False),
    ],
)
def test_looks_like_feed(content: bytes, content_type: str | None, expected: bool) -> None:
    assert looks_like_feed(content, content_type) is expected


def test_sample_feeds_look_like_feeds_and_json_feed_too() -> None:
    samples = DATASETS / "samples"
    assert looks_like_feed((samples / "json_feed.json").read_bytes(), "application/json")
    assert looks_like_feed((samples / "SamRuby.xml").read_bytes(), None)
