"""The seed files parse into exactly the right title, date, section, language and body."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from conftest import SEEDS, SHARED

from bot.ingest.files import iter_path
from bot.ingest.seeds import derive_title, parse_page_text
from bot.ingest.types import RawArticle

EXPECTED = {
    "000_f061253b2aa8fe13.txt": {
        "title": "Empresas chinas recurren al exterior para entrenar modelos de IA",
        "published_at": datetime(2025, 11, 28, tzinfo=UTC),
        "section": "INTELIGENCIA ARTIFICIAL",
        "first": "Grandes empresas tecnológicas chinas como Alibaba y ByteDance cada vez más "
        "entrenan sus modelos de Inteligencia Artificial (IA) en centros de datos ubicados "
        "en el sudeste asiático, según informaron Reuters y Financial Times.",
        "last": "Pero a la vez, deja en evidencia que la ambición china de liderazgo en IA aún "
        "depende —en parte— de redes globales.",
        "paragraphs": 9,
    },
    "002_4cd47c3990649ad3.txt": {
        "title": "El panorama internacional de la inteligencia artificial acaba de vivir un "
        "giro inesperado",
        "published_at": datetime(2025, 11, 26, tzinfo=UTC),
        "section": None,
        "first": "El panorama internacional de la inteligencia artificial acaba de vivir un giro "
        "inesperado: por primera vez, los desarrolladores chinos han superado a sus pares "
        "estadounidenses en la proporción global de descargas de modelos de IA. Este cambio, "
        "impulsado por una estrategia firme a favor del código abierto, ha colocado al "
        "ecosistema tecnológico del gigante asiático en un lugar privilegiado dentro de la "
        "innovación mundial.",
        "last": "Y, por primera vez, los números muestran que ese enfoque empieza a traducirse "
        "en liderazgo concreto.",
        "paragraphs": 8,
    },
    "004_cfe0271cdde873fb.txt": {
        "title": "Alibaba se dispara en bolsa tras el avance global de su Inteligencia "
        "Artificial abierta",
        "published_at": datetime(2026, 1, 13, tzinfo=UTC),
        "section": "MERCADOS",
        "first": "Las acciones de Alibaba Group registraron una fuerte suba en los mercados "
        "internacionales luego de que se conociera un dato clave para la carrera global de la "
        "Inteligencia Artificial: los modelos Qwen superaron los 700 millones de descargas a "
        "nivel mundial.",
        "last": "la competencia ya no se define solo por quién tiene el modelo más avanzado, "
        "sino por quién logra que su tecnología sea utilizada, adaptada y replicada en todo el "
        "mundo.",
        "paragraphs": 9,
    },
}


def _parse(name: str) -> RawArticle:
    return parse_page_text((SEEDS / name).read_text(encoding="utf-8"), url=f"seeds/{name}")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_seed_metadata(name: str) -> None:
    article, expected = _parse(name), EXPECTED[name]
    assert article.title == expected["title"]
    assert article.published_at == expected["published_at"]
    assert article.section == expected["section"]
    assert article.lang == "es"
    assert article.url == f"seeds/{name}"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_seed_body_is_clean(name: str) -> None:
    article, expected = _parse(name), EXPECTED[name]
    paragraphs = article.body.split("\n\n")
    assert paragraphs[0] == expected["first"]
    assert article.body.endswith(expected["last"])
    assert len(paragraphs) == expected["paragraphs"]
    assert article.body.count(expected["first"][:80]) == 1, "the lede printed twice stays once"
    assert "Compartir" not in article.body
    assert "\u00a0" not in article.body
    assert all(p.strip() == p and p for p in paragraphs)
    for furniture in ("Publicado", "date 20", "INTELIGENCIA ARTIFICIAL", "MERCADOS"):
        assert furniture not in article.body
    assert not article.body.startswith(article.title + "\n"), "the headline is not in the body"


def test_seed_files_are_verbatim_copies() -> None:
    shared = SHARED / "seeds"
    if not shared.is_dir():
        pytest.skip("../shared/seeds not present on this machine")
    for name in EXPECTED:
        assert (SEEDS / name).read_bytes() == (shared / name).read_bytes()


def test_folder_labels_are_paths_as_given() -> None:
    labels = (
        [item.label for item in iter_path("seeds/")] if (SEEDS.parent / "seeds").is_dir() else []
    )
    assert labels == [f"seeds/{name}" for name in sorted(EXPECTED)] or not labels


def test_derived_title_cuts_long_first_sentences() -> None:
    body = "Word " * 60 + "ends here. Second sentence."
    title = derive_title(body)
    assert len(title) <= 121 and title.endswith("…")
    assert derive_title("Short first sentence. Another one.") == "Short first sentence"
