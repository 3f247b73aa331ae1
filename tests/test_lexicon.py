"""The hand-written lexicon and the induced word translations beside it."""

from __future__ import annotations

from pathlib import Path

from bot.lexicon import INDUCED_NAME, Lexicon
from bot.text import query_terms

CONFIG = Path(__file__).resolve().parents[1] / "config"


def test_induced_translations_load_beside_the_lexicon_both_ways(tmp_path: Path) -> None:
    (tmp_path / "lexicon.tsv").write_text("comprar|compró\tbuy|bought\n", encoding="utf-8")
    (tmp_path / INDUCED_NAME).write_text(
        "# comment\noficina\toffice\t0.925\ncárcel\tprison\t0.931\nbroken line\n",
        encoding="utf-8",
    )
    lexicon = Lexicon.load(tmp_path / "lexicon.tsv")
    assert len(lexicon) == 1
    assert lexicon.translations(query_terms("oficina")) & set(query_terms("offices"))
    assert lexicon.translations(query_terms("prison")) & set(query_terms("cárcel"))
    assert not lexicon.translations(query_terms("compró"))  # the lexicon's own are not induced


def test_no_induced_file_means_no_translations(tmp_path: Path) -> None:
    (tmp_path / "lexicon.tsv").write_text("comprar\tbuy\n", encoding="utf-8")
    assert Lexicon.load(tmp_path / "lexicon.tsv").translations(query_terms("oficina")) == set()


def test_the_shipped_induced_lexicon_pairs_everyday_words() -> None:
    lexicon = Lexicon.load(CONFIG / "lexicon_es_en.tsv")
    for spanish, english in (("oficina", "office"), ("embajador", "ambassador")):
        assert lexicon.translations(query_terms(spanish)) & set(query_terms(english))
