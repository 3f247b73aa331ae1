"""The hand-written lexicon and the induced word translations beside it."""

from __future__ import annotations

from pathlib import Path

from bot.lexicon import Lexicon
from bot.settings import Settings
from bot.text import query_terms


def test_induced_translations_load_and_pair_both_ways(tmp_path: Path) -> None:
    (tmp_path / "lexicon.tsv").write_text("comprar|compró\tbuy|bought\n", encoding="utf-8")
    (tmp_path / "induced.tsv").write_text(
        "# comment\noficina\toffice\t0.925\ncárcel\tprison\t0.931\nbroken line\n",
        encoding="utf-8",
    )
    lexicon = Lexicon.load(tmp_path / "lexicon.tsv", tmp_path / "induced.tsv")
    assert len(lexicon) == 1
    assert lexicon.translations(query_terms("oficina")) & set(query_terms("offices"))
    assert lexicon.translations(query_terms("prison")) & set(query_terms("cárcel"))
    assert not lexicon.translations(query_terms("compró"))  # the lexicon's own are not induced


def test_no_induced_file_means_no_translations(tmp_path: Path) -> None:
    (tmp_path / "lexicon.tsv").write_text("comprar\tbuy\n", encoding="utf-8")
    assert Lexicon.load(tmp_path / "lexicon.tsv").translations(query_terms("oficina")) == set()


def test_the_packaged_induced_lexicon_pairs_everyday_words() -> None:
    settings = Settings(_env_file=None)
    assert settings.induced_lexicon_path.name == "lexicon_induced_es_en.tsv"
    lexicon = Lexicon.load(settings.lexicon_path, settings.induced_lexicon_path)
    for spanish, english in (("oficina", "office"), ("embajador", "ambassador")):
        assert lexicon.translations(query_terms(spanish)) & set(query_terms(english))
