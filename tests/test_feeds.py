"""Feed parsing: real-world samples, quirks, hostile XML and text cleaning."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import DATASETS as SHARED_DATASETS
from conftest import needs_datasets

from bot.ingest.feeds import (
    FEED_ITEM,
    FeedError,
    ParsedFeed,
    html_to_text,
    is_teaser,
    normalize_lang,
    parse_feed,
    root_element,
)
from bot.ingest.types import IngestError

SAMPLES_DIR = SHARED_DATASETS / "feeds/samples"
SAMPLES = sorted(SAMPLES_DIR.iterdir()) if SAMPLES_DIR.is_dir() else []
pytestmark = needs_datasets
BASE = "http://feeds.example.com/blog/feed.xml"


def rss(items: str, *, head: str = "", encoding: str = "utf-8", lang: str = "") -> bytes:
    language = f"<language>{lang}</language>" if lang else ""
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>{head}\n<rss version="2.0"><channel>'
        f"<title>Test feed</title><link>http://example.com/</link>{language}{items}"
        "</channel></rss>"
    ).encode(encoding)


def parse(content: bytes, url: str = BASE) -> ParsedFeed:
    return parse_feed(content, url=url)


# ---------------------------------------------------------------------- the sample corpus


def test_sample_corpus_is_present() -> None:
    assert len(SAMPLES) >= 40


@pytest.mark.parametrize("path", SAMPLES, ids=[p.name for p in SAMPLES])
def test_every_sample_parses_or_fails_clearly(path: Path) -> None:
    try:
        feed = parse_feed(path.read_bytes(), url=f"http://feeds.example.com/{path.name}")
    except FeedError as exc:
        assert str(exc).startswith("not a feed: ")
        return
    guids = [item.guid for item in feed.items]
    assert len(guids) == len(set(guids))
    for item in feed.items:
        assert item.title.strip() and item.guid
        assert item.url is None or item.url.startswith(("http://", "https://"))
        assert item.published_at is None or item.published_at.tzinfo is UTC


def test_fragments_that_are_not_feeds_are_refused_clearly() -> None:
    with pytest.raises(FeedError, match=r"^not a feed: could not parse"):
        parse((SAMPLES_DIR / "TechCrunchFirstEntry.xml").read_bytes())


def test_invalid_secondary_date_does_not_override_valid_pubdate() -> None:
    """Item 0 has a valid pubDate and a junk dc:date ("1518478934").

    feedparser alone turns the junk into 2015-07-03; the valid pubDate must win.
    """
    feed = parse((SAMPLES_DIR / "InvalidDateFormat.xml").read_bytes())
    assert [item.published_at for item in feed.items] == [
        datetime(2017, 10, 16, 15, 10, tzinfo=UTC),
        datetime(2017, 10, 17, 12, 17, tzinfo=UTC),
    ]


@pytest.mark.parametrize("bad", ["1518478934", "not a date", "32/13/2020 99:99", ""])
def test_only_invalid_dates_give_none(bad: str) -> None:
    feed = parse(rss(f"<item><title>t</title><pubDate>{bad}</pubDate></item>"))
    assert feed.items[0].published_at is None


def test_relative_links_resolve_against_feed_url() -> None:
    feed = parse((SAMPLES_DIR / "SamRuby.xml").read_bytes(), url="https://intertwingly.net/x.atom")
    assert feed.items[0].url == "https://intertwingly.net/blog/2013/01/30/Plex"
    assert feed.link == "https://intertwingly.net/blog/"


def test_relative_links_in_rss_and_xml_base() -> None:
    feed = parse(rss("<item><title>a</title><link>/posts/1</link></item>"))
    assert feed.items[0].url == "http://feeds.example.com/posts/1"
    atom = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"
      xml:base="https://blog.example.org/2024/"><title>B</title>
      <entry><title>E</title><id>e1</id><link href="post.html"/></entry></feed>"""
    assert parse(atom).items[0].url == "https://blog.example.org/2024/post.html"


def test_escaped_html_in_xhtml_pre_stays_literal_text() -> None:
    item = parse((SAMPLES_DIR / "AtomEscapedHTMLInPreTag.xml").read_bytes()).items[0]
    assert item.body == "This is escaped html:\n\n<b>test<b>"


def test_escaped_html_in_rss_description_becomes_plain_text() -> None:
    description = (
        "&lt;p&gt;Hello &amp;amp; &lt;b&gt;world&lt;/b&gt;&amp;#8217;s&lt;/p&gt;"
        "&lt;p&gt;Second&amp;nbsp;para&lt;/p&gt;&lt;style&gt;p{}&lt;/style&gt;"
    )
    feed = parse(
        rss(f"<item><title>A &amp;amp; B</title><description>{description}</description></item>")
    )
    item = feed.items[0]
    assert item.title == "A & B"
    assert item.body == "Hello & world\u2019s\n\nSecond para"


def test_json_feed_samples() -> None:
    feed = parse((SAMPLES_DIR / "json_feed.json").read_bytes(), url="http://inessential.com/x")
    assert (feed.format, feed.title, feed.link) == (
        "json10",
        "inessential.com",
        "http://inessential.com/",
    )
    assert len(feed.items) == 20
    first = feed.items[0]
    assert first.published_at == datetime(2017, 6, 3, 5, 5, 47, tzinfo=UTC)
    assert first.lang == "en" and "<" not in first.body
    escaped = parse((SAMPLES_DIR / "json_feed_with_escaped_uris.json").read_bytes())
    assert escaped.format == "json11"
    assert escaped.items[0].url == "https://lukedorny.com/updates/new-font"
    assert escaped.items[0].extra["tags"] == "Design"


def test_json_feed_relative_urls_bad_dates_and_missing_fields() -> None:
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "J",
        "feed_url": "https://j.example/feed.json",
        "items": [
            {"id": 7, "url": "/a", "content_text": "Para one.\n\nPara two.", "date_published": "x"},
            {"id": "empty"},
            "not an object",
        ],
    }
    feed = parse(json.dumps(doc).encode())
    assert len(feed.items) == 1
    item = feed.items[0]
    assert (item.guid, item.url, item.published_at) == ("7", "https://j.example/a", None)
    assert item.body == "Para one.\n\nPara two." and item.title == "Para one."


# ---------------------------------------------------------------------- refusals


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title>
<item><title>&lol9;</title><description>&lol9;</description></item></channel></rss>"""


@pytest.mark.parametrize(
    "content",
    [
        BILLION_LAUGHS,
        b"  \n" + BILLION_LAUGHS,  # leading junk: expat would stop before the DOCTYPE
        BILLION_LAUGHS.decode().replace('<?xml version="1.0"?>', "").encode("utf-16"),
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b"<rss version='2.0'><channel><title>&xxe;</title></channel></rss>",
    ],
    ids=["billion-laughs", "leading-whitespace", "utf-16", "external-entity"],
)
def test_entity_declarations_are_refused(content: bytes) -> None:
    with pytest.raises(FeedError, match=r"declares XML entities"):
        parse(content)


def test_entity_text_inside_cdata_is_fine() -> None:
    feed = parse(
        rss(
            "<item><title>x</title><description><![CDATA[<p>Use <!ENTITY> "
            "with care</p>]]></description></item>"
        )
    )
    assert feed.items[0].title == "x"


def test_external_doctype_without_entities_is_fine() -> None:
    head = (
        '<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
        '"http://my.netscape.com/publish/formats/rss-0.91.dtd">'
    )
    assert len(parse(rss("<item><title>x</title></item>", head=head)).items) == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"<!DOCTYPE html><html><head><title>x</title></head><body><p>Hi</p></body></html>",
            r"^not a feed: the URL returned an HTML page$",
        ),
        (b"<html><body><h1>Blog</h1></body></html>", r"^not a feed: the URL returned an HTML"),
        (b"\x00\x01\x02garbage\xff\xfe", r"^not a feed: could not parse"),
        (b"just some words", r"^not a feed: could not parse"),
        (b"   \n", r"^not a feed: the response was empty$"),
        (b'{"hello": "world"}', r"^not a feed: JSON without a JSON Feed 'version' field$"),
        (b"{not json", r"^not a feed: could not parse the JSON"),
    ],
)
def test_non_feeds_raise_feed_error(content: bytes, message: str) -> None:
    with pytest.raises(FeedError, match=message) as caught:
        parse(content)
    assert isinstance(caught.value, IngestError)


@pytest.mark.parametrize(
    "content",
    [
        rss(""),
        b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>E</title></feed>',
        b'{"version": "https://jsonfeed.org/version/1", "title": "E", "items": []}',
    ],
    ids=["rss", "atom", "json"],
)
def test_empty_valid_feeds_have_no_items(content: bytes) -> None:
    feed = parse(content)
    assert feed.items == [] and feed.title


# ---------------------------------------------------------------------- encodings


def test_latin1_feed_decodes_correctly() -> None:
    content = rss(
        "<item><title>Caf\u00e9 en Espa\u00f1a: a\u00f1o de la IA</title>"
        "<description>Se\u00f1ales \u00bfpor qu\u00e9?</description></item>",
        encoding="iso-8859-1",
        lang="es-ES",
    )
    assert "\u00e9".encode("iso-8859-1") in content  # really single-byte Latin-1
    item = parse(content).items[0]
    assert item.title == "Caf\u00e9 en Espa\u00f1a: a\u00f1o de la IA"
    assert item.body == "Se\u00f1ales \u00bfpor qu\u00e9?"
    assert item.lang == "es"


def test_windows_1252_quotes_declared_as_latin1_are_repaired() -> None:
    body = b"<item><title>\x93Smart\x94 quotes \x96 dash</title></item>"
    content = rss("", encoding="iso-8859-1").replace(b"</channel>", body + b"</channel>")
    assert parse(content).items[0].title == "\u201cSmart\u201d quotes \u2013 dash"


def test_undeclared_windows_1252_falls_back_sensibly() -> None:
    content = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        b"<item><title>Ni\xf1o \x93AI\x94</title></item></channel></rss>"
    )
    assert parse(content).items[0].title == "Ni\u00f1o \u201cAI\u201d"


# ---------------------------------------------------------------------- items


def test_guid_fallbacks_are_link_then_stable_hash() -> None:
    content = rss(
        "<item><title>Linked</title><link>http://example.com/l</link></item>"
        "<item><title>Bare</title><description>Only text</description></item>"
    )
    first, second = parse(content).items
    assert first.guid == "http://example.com/l"
    assert second.guid is not None and second.guid.startswith("sha256:")
    assert parse(content).items[1].guid == second.guid


def test_reused_guids_are_made_unique_and_exact_repeats_dropped() -> None:
    item = '<item><guid isPermaLink="false">g</guid><title>{t}</title><pubDate>{d}</pubDate></item>'
    content = rss(
        item.format(t="v1", d="Mon, 01 Jan 2024 00:00:00 GMT")
        + item.format(t="v2", d="Tue, 02 Jan 2024 00:00:00 GMT")
        + item.format(t="v2", d="Tue, 02 Jan 2024 00:00:00 GMT")
    )
    guids = [i.guid for i in parse(content).items]
    assert len(guids) == 2 and len(set(guids)) == 2
    assert all(g is not None and g.startswith("g#") for g in guids)


def test_links_keep_the_fragment_that_names_each_entry() -> None:
    """A changelog links every release to an anchor of one page: the links stay distinct."""
    item = (
        "<item><title>Windsurf {v}</title><link>https://windsurf.com/changelog#{v}</link>"
        '<guid isPermaLink="false">https://windsurf.com/changelog#{v}#{v}</guid>'
        "<description>Bug fixes.</description></item>"
    )
    items = parse(rss(item.format(v="2.3.15") + item.format(v="2.3.9"))).items
    assert [i.url for i in items] == [
        "https://windsurf.com/changelog#2.3.15",
        "https://windsurf.com/changelog#2.3.9",
    ]
    assert len({i.guid for i in items}) == 2
    # The page behind an anchor is the whole changelog, not this entry's full text.
    assert all("teaser" not in i.extra for i in items)


def test_feed_items_are_marked_as_such() -> None:
    """The pipeline keys feed items by their GUID; only feed items carry the mark."""
    xml = parse(rss("<item><title>t</title><link>http://example.com/a</link></item>")).items
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "J",
        "items": [{"id": "1", "title": "t"}],
    }
    json_items = parse(json.dumps(feed).encode()).items
    assert [i.extra[FEED_ITEM] for i in xml + json_items] == ["1", "1"]
    assert xml[0].extra["teaser"] == "1"  # a short body behind a plain link still is a teaser


def test_changelog_feeds_have_one_guid_per_entry() -> None:
    """The two Windsurf changelogs: every entry its own GUID and its own anchor link."""
    for name, entries, guids in (
        ("feed_windsurf_changelog.xml", 118, 115),
        ("feed_windsurf_next_changelog.xml", 147, 147),
    ):
        content = (SHARED_DATASETS / "feeds/ai" / name).read_bytes()
        assert content.count(b"<item>") == entries
        # Three releases reuse a GUID (and link) for other dates and notes.
        assert len(set(re.findall(rb"<guid[^>]*>([^<]*)</guid>", content))) == guids
        items = parse(content).items
        assert len(items) == len({i.guid for i in items}) == entries
        assert all(i.url and "#" in i.url for i in items)


def test_items_without_title_or_body_are_skipped() -> None:
    content = rss(
        "<item><link>http://example.com/nothing</link></item>"
        "<item><title>Title only</title></item>"
        "<item><description>Body only. With a second sentence.</description></item>"
    )
    items = parse(content).items
    assert [i.title for i in items] == ["Title only", "Body only. With a second sentence."]
    assert items[0].body == ""


def test_body_is_longest_of_content_and_summary() -> None:
    long_text = "Full text paragraph. " * 40
    content = rss(
        f"<item><title>t</title><description>Short teaser</description>"
        f"<content:encoded><![CDATA[<p>{long_text}</p>]]></content:encoded></item>"
    ).replace(b"<rss ", b'<rss xmlns:content="http://purl.org/rss/1.0/modules/content/" ')
    item = parse(content).items[0]
    assert item.body == long_text.strip()
    assert "teaser" not in item.extra


def test_teaser_flag() -> None:
    long = "word " * 120
    assert is_teaser("Short summary.")
    assert is_teaser(long + "Read more")
    assert is_teaser(long + "[…]")
    assert is_teaser(long + "...")
    assert is_teaser(long + "Leer más »")
    assert not is_teaser(long + "the end.")
    item = parse(rss("<item><title>t</title><description>tiny</description></item>")).items[0]
    assert item.extra["teaser"] == "1"


def test_source_name_author_and_tags() -> None:
    content = rss(
        "<item><title>t</title><author>ana@example.com (Ana)</author>"
        "<category>LLMs</category><category>Policy</category></item>"
    )
    feed = parse(content)
    item = feed.items[0]
    assert item.source_name == "Test feed" == feed.title
    assert item.extra["tags"] == "LLMs, Policy"
    assert "Ana" in item.extra["author"]


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("en-US", "en"),
        ("es-ES", "es"),
        ("ES", "es"),
        ("pt_BR", "pt"),
        ("spa", "es"),
        ("x-klingon", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_lang(tag: str | None, expected: str | None) -> None:
    assert normalize_lang(tag) == expected


def test_language_comes_from_feed_tag_or_none() -> None:
    assert parse(rss("<item><title>t</title></item>", lang="en-gb")).items[0].lang == "en"
    assert parse(rss("<item><title>t</title></item>")).items[0].lang is None


# ---------------------------------------------------------------------- HTML cleaning


def test_html_to_text_keeps_paragraphs_and_drops_scripts() -> None:
    markup = (
        "<div><h2>Title</h2><p>First &amp; <em>only</em>\n   line.</p>"
        "<script>alert(1)</script><style>p {color: red}</style>"
        "<p>Second<br>line &eacute;&#233;</p><ul><li>one</li><li>two</li></ul></div>"
    )
    assert html_to_text(markup) == (
        "Title\n\nFirst & only line.\n\nSecond\nline \u00e9\u00e9\n\none\n\ntwo"
    )
    assert html_to_text("") == ""
    assert html_to_text("plain words") == "plain words"


def test_root_element_sniffing() -> None:
    assert root_element(rss("")) == "rss"
    assert root_element(b"<!-- c --><?xml-stylesheet x?><feed xmlns='a'/>") == "feed"
    assert root_element(b"<rdf:RDF xmlns:rdf='x'/>") == "rdf"
    assert root_element(b"<!doctype html><html></html>") == "html"
    assert root_element("<rss/>".encode("utf-16")) == "rss"
