"""The hand-written lexicon and the induced word translations beside it."""

from __future__ import annotations

from pathlib import Path

from bot.lexicon import FALSE_FRIENDS, Lexicon
from bot.settings import Settings
from bot.text import fold, query_terms


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


def _packaged() -> Lexicon:
    return Lexicon.load(Settings(_env_file=None).lexicon_path)


def test_the_packaged_lexicon_leaves_the_false_friends_out() -> None:
    lexicon = _packaged()
    variants = {
        fold(v)
        for spanish, english in lexicon.entries
        for v in spanish + english
        if not v.isupper()  # "USA" matches only as written
    }
    assert not variants & FALSE_FRIENDS


def test_everyday_news_words_link_across_languages() -> None:
    """Inflected everyday words, either way round, reach the other language's words."""
    lexicon = _packaged()
    for asked, written in (
        ("detuvo", "arrested"),
        ("jailed", "cárcel"),
        ("periodista", "reporter"),
        ("llevó", "brought"),
        ("perros", "dogs"),
        ("appointed", "nombrado"),
        ("se unieron", "joined"),
        ("pareja", "couple"),
        ("orden de aprehensión", "warrant"),
        ("funciones", "features"),
        ("características", "features"),
        ("planes", "tiers"),
        ("primera dama", "first lady"),
        ("se llevó", "won"),
        ("recuperación", "retrieval"),
        ("keep intact", "preserve"),
        ("tratado vinculante", "binding"),
        ("tratados", "treaty"),
        ("sucesor", "replaced"),
        ("dibujaran", "draw"),
        ("GA", "generally available"),
        ("team up with", "partners with"),
        ("IP", "intellectual property"),
        ("depuró", "debugging"),
        ("fuga de memoria", "memory leak"),
        ("motor de inferencia", "inference engine"),
        ("se incorporó al", "appointed"),
        ("corrigió", "fixed"),
        ("buenas prácticas", "best practices"),
        ("got back", "regresó"),
        ("deseos", "hopes"),
    ):
        assert written in lexicon.expand(asked), (asked, written)


def test_the_everyday_section_claims_each_of_its_variants() -> None:
    """The loader keeps the first line that claims a variant, so a later line repeating it
    would silently lose that word: each everyday line must own all of its variants."""
    lines = _packaged_lines()
    lexicon = _packaged()
    for spanish, english in lines:
        for variant in spanish + english:
            assert set(lexicon.expand(variant)) == {*spanish, *english}, variant


def _packaged_lines() -> list[tuple[list[str], list[str]]]:
    text = Settings(_env_file=None).lexicon_path.read_text(encoding="utf-8")
    section = text.split("# Everyday news vocabulary", 1)[1]
    out = []
    for line in section.splitlines():
        if "\t" in line and not line.startswith("#"):
            es, en = line.split("\t", 1)
            out.append((es.split("|"), en.split("|")))
    return out


def test_a_phrase_in_the_plural_is_the_same_term() -> None:
    """ "city councils" is the entry "city council"; Spanish puts the plural on the first
    word ("centros de datos"); an acronym or a single word gets no made-up plural."""
    lexicon = Lexicon(
        [
            (["ayuntamiento", "concejo municipal"], ["city council"]),
            (["centro de datos"], ["data center"]),
        ]
    )
    assert "ayuntamiento" in lexicon.expand("how many city councils were up for grabs?")
    assert "data center" in lexicon.expand("los centros de datos de Malasia")
    assert "data center" in lexicon.expand("new data centers in Johor")
    assert lexicon.expand("city counciles") == []
