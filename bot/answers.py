"""Extractive answers: the best sentences of the best articles, cited and dated.

Nothing is generated: every quoted sentence comes from an article (its title counts),
in the article's language, framed in the asker's language and marked when it is in
the other one. When the evidence carries a figure that answers a "how many / how much"
question, a one-line direct answer leads, built from that figure, its subject and the
article's date. When no sentence covers the question's specific content (its names
alone are not enough), the answer says nothing was found.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from urllib.parse import urlsplit

import numpy as np
from sqlmodel import Session, col, select

from bot.cognates import skeletons
from bot.core import Core
from bot.figures import display_subject, extract_figures, spanish_names
from bot.i18n import format_date, format_number, in_language, t
from bot.index.hybrid import validate_query
from bot.lexicon import FALSE_FRIENDS
from bot.models import Article, ArticleEntity, Entity, Figure, Passage, Source
from bot.text import (
    fold,
    glued_words,
    is_stopword,
    phrase_stems,
    query_terms,
    split_sentences,
    stem_tokens,
    tokens,
)

#: Marks a cognate skeleton among a text's stems (no stem starts with it).
_COGNATE = "~"
#: Share of the question's specific (non-name) content a cited sentence must cover.
MIN_COVERAGE = 0.5
MAX_CITATIONS = 3
#: A sentence of one of the TOP_ACROSS articles the search ranks first, in the other
#: language, needs only this share of the question's specific content: the links between
#: the languages miss many words of a paraphrase ("lodge a challenge" / "impugnar"). On the
#: 18 dev sets (docs/benchmarks.md, session 19) it answers 12 more of 917 questions than the
#: full bar; a quarter also answered 5 more, and declined one of 350 fewer.
MIN_COVERAGE_ACROSS = 1 / 3
TOP_ACROSS = 2
#: A passage this far above the model's dense floor vouches for a sentence that covers part
#: of the question's content. On the dev set (bench --only answers, docs/benchmarks.md) 0.06
#: is the smallest margin that keeps every unanswerable question declined; 0.03-0.05 answer
#: 2-6 more questions and answer 2 that they should decline.
DENSE_VOUCH_MARGIN = 0.06
#: How much a sentence gains for holding the kind of thing asked for: the noun a "which"
#: names, or a person's name for "who". It orders sentences that clear the bar; it never
#: lets one clear it.
ANSWER_KIND_BONUS = 0.15
#: How much the model's cosine of question and passage, and the article's search rank, weigh
#: in a sentence's score beside what it says of the question's words. Among sentences that
#: all cover the question, the model tells the one about it best: fitted on the dev sets,
#: each fifth of them scored by weights fitted on the other four (docs/benchmarks.md).
DENSE_WEIGHT = 3.0
RANK_WEIGHT = 0.2
#: The same for a question that names only what it is about ("¿qué pasa con Qwen?"): the
#: news's own order answers it, lede first, not the passage the model puts closest to a name.
VAGUE_DENSE_WEIGHT = 0.3
VAGUE_RANK_WEIGHT = 0.05

_WHO = re.compile(r"\b(who|whom|whose|qui[eé]n(es)?)\b", re.IGNORECASE)
#: "WHO" in capitals after the start is the World Health Organization, not a question word.
_THE_WHO = re.compile(r"(?<=\S)(\s+(?:the\s+)?)WHO\b")
_WHERE = re.compile(r"\b(where|d[oó]nde|en qu[eé] (lugar|sitio|ciudad|pa[ií]s))\b", re.IGNORECASE)
_NAME_RUN = re.compile(r"\b[A-ZÁÉÍÓÚÑ][\w’'-]+(?:\s+[A-ZÁÉÍÓÚÑ][\w’'-]+)*")
#: Where a "how many" question's figure may sit, relative to the sentence that matches it.
_NEAR = (0, 1, -1, 2, -2)
#: Articles an answer reads, best first. Across languages the hybrid ranks the right one
#: lower (Spanish words of a Spanish question match Spanish distractors): 10 answered one
#: question fewer in each of the three dev sets than 15, and declined the same ones.
ARTICLES_READ = 15
#: What the asker rules out in brackets: "(not Next)", "(no Next)", "(sin la beta)".
_EXCLUDED = re.compile(
    r"\(\s*(?:not|no|sin|except|excepto)\s+(?:the\s+|el\s+|la\s+)?([\w.-]+)\s*\)", re.I
)
#: Full-text hits read beside them, whatever the fused rank.
LEXICAL_HITS = 3
#: Hits of the question searched without its month or year, published then, read beside them.
DATED_HITS = 5
#: How many posts of a source the question names, from the time it names, are read.
SOURCE_DATED_HITS = 5
#: At most this many of their passages are compared (a year of a busy source, at scale).
SOURCE_DATED_PASSAGES = 5000
#: The words that ask for a figure whatever else the question says.
_HOW = r"cu[aá]nt[oa]s?|how (?:many|much|big|large|long|old|far|fast|often)|qu[eé] edad|what age"
#: "which / qué" before the noun that names the kind of thing asked for; "por qué" and
#: "para qué" ask why.
_WH_WORD = r"(?:^|[\s¿¡(])(?<!por )(?<!para )(?:qu[eé]|cu[aá]l(?:es)?|which|what)"
_WHICH = rf"{_WH_WORD}\s+"
#: "¿qué parte de la serie…?" asks which instalment, not what share
_NOT_OF_A_SERIES = r"(?! de (?:la|esta|esa|su|aquella) serie)"
_QUANTITY = re.compile(
    rf"\b({_HOW}|"
    r"what (share|percentage|proportion|fraction|"
    r"price|valuation|size)|qu[eé] tama[ñn]o|porcentaje|proporci[oó]n|cuota|share|percentage|"
    rf"qu[eé] parte{_NOT_OF_A_SERIES}|"
    r"scor(?:e|ed|es)|puntuaci[oó]n|puntaje|(?:[\w-]+ )count|"
    r"precio|price|pricing|cost[oó]?|costs?|valuation|valoraci[oó]n|con qu[eé] frecuencia|"
    r"salary|salario|sueldo|(?:[\w-]+ )?(?:multiplier|discount)|multiplicador|descuento|"
    r"(?:deal|contract|market|transaction|dollar) value|"
    r"valor (?:del (?:acuerdo|contrato)|de mercado|en (?:d[oó]lares|euros))|"
    r"(?:parameter|model) sizes?|tama[ñn]os? (?:de (?:los )?)?(?:par[aá]metros|modelos?)|"
    r"(?:frame|error|success|win|pass|growth|interest|conversion|refresh|hit|response|reply|"
    r"open|click|churn|retention|adoption|acceptance) rates?|fps|"
    r"tokens? (?:per|a|/) ?s(?:ec(?:ond)?)?|"
    r"(?:what|which|qu[eé])(?:'s| is| was| es| era)?(?: the| la)? (?:\w+ )?(?:speeds?|velocidad)|"
    r"tasas? de (?:error|[eé]xito|crecimiento|inter[eé]s|conversi[oó]n|refresco|acierto|"
    r"respuesta|apertura|clics?|abandono|retenci[oó]n|adopci[oó]n|aceptaci[oó]n)|"
    r"fotogramas por segundo)\b",
    re.IGNORECASE,
)
#: "whats the codename…", typed without its apostrophe.
_CONTRACTION = re.compile(r"\b(what|who|where|how)s\b", re.IGNORECASE)
#: Words that make a question but say nothing about what it asks: never "content".
_QUESTION_WORDS = {
    fold(w)
    for w in (
        "how many much often big large what which who whom whose when where why does did do "
        "is are was were has have had will would could should can tell me about know say said "
        "cuántos cuántas cuánto cuánta cuál cuáles qué quién quiénes cuándo dónde por porque "
        "cómo dice dicen dijo sabe sabes hay tiene tienen tuvo ha han según segun "
        "number número cantidad amount pasa pasó ocurre ocurrió sucede sucedió happening "
        "happened going up new nuevo nueva novedades news noticias "
        # filler of a question about the news, in either language: not what it asks
        "get gets got one ones instead keep keeps keeping story stories article report "
        "reported published publish say says according per now currently latest use used "
        "using make made take took give gave thing things way also still already ever just "
        "bring brings brought trae traen trajo "
        # the article's act of telling, not what it tells: "how does Pinecone describe Nexus",
        # "¿a qué cantante menciona?"
        "mention mentions mentioned menciona mencionan mencionó mencionaba describe describes "
        "described describió describen cite cites cited cita citó citaba told "
        "really actually nota artículo noticia publicó publicada publicado informe ahora "
        "actualmente usar usa usan usó hacer hizo dar cosa ya todavía aún solo sólo "
        # light verbs and contractions: "va a invertir", "se puede usar", "aren't", "went to"
        "run runs ran va van vas ir iba iban voy vamos puede pueden podría podrían da dan "
        "debe deben quiere quieren quería go goes went gone want wants wanted aren isn wasn "
        "poder podía pudo pueda puedan podrá algún alguno alguna algunos algunas ningún "
        "ninguno ninguna después así any some "
        "weren doesn didn don won can could might may must había habían hubo habrá habría "
        "sido hecho suele suelen solía solían hace hacen haciendo tenía tenían tendrá lleva "
        "llevan llevaba saca sacan sacó obtiene obtienen obtuvo consigue consiguen consiguió "
        # what kind of answer is asked for is not what it is about: "¿qué fecha?", "the name"
        "fecha date día day mes month nombre name tamaño size called llama llamado llamada "
        "denominado denominada "
        # money and shares: the kind of figure asked for is checked as evidence (_ASKED)
        "dinero money cash porcentaje percentage percent pay pays paid pagó pagar pagado "
        "pagaron costó cuesta cuestan cost costs price precio charge charges cobra cobran "
        "plata lana pasta score scores scored puntuación puntaje"
    ).split()
}
#: Words of one event that a sentence may say in another way: a question about a "ronda de
#: financiación" is answered by "X raises $750M" and "¿quién compró X?" by "Y acquires X".
#: Each group lists one variant of each lexicon entry (config/lexicon_es_en.tsv) it joins.
_FAMILIES = (
    ("funding", "funding round", "round", "raise", "series", "investment"),
    ("acquisition", "buy"),
    ("alliance", "partner with", "partner", "agreement"),
    ("appoint", "hire", "director", "choose"),  # "who did X pick": "X appoints Y"
    ("founded", "set up", "start"),
    ("create", "build", "develop"),  # who builds / creó / desarrolla a product
    ("write", "author"),  # who wrote the paper: "Gordon et al."
    ("connect", "integrate"),
    ("launch", "announcement", "publish", "add", "supports"),
    ("release", "liberar", "salir"),  # "liberó los pesos", "¿cuándo salió GPT-5?"
    ("said", "claim"),  # "who claimed that…": "…, afirmó Polevnsky"
    ("defeat", "overcome", "beat"),  # "who beat X": "X perdió ante Y", "tras vencer a Y"
    ("proposal", "initiative"),  # "who proposed…": "presentó una iniciativa"
    ("increase", "grow", "rise", "double", "triple", "boost"),  # "how much did X grow": "doubles"
)
_UNIT_WORDS = {  # question words that name a figure's unit
    "downloads": {"download", "descarg"},
    "usd": {"dollar", "dolar", "fund", "financ", "raise", "raised", "recaud", "invest", "inver"},
    "eur": {"euro", "fund", "financ", "invest", "inver"},
    "%": {"share", "percent", "porcentaj", "cuot", "proporcion", "part"},
    "gpus": {"gpu", "chip"},
    "chips": {"chip", "gpu"},
    "users": {"user", "usuari"},
    "employees": {"employe", "emple", "staff", "plantill"},
    "parameters": {"parameter", "parametr"},
    "tokens": {"token"},
}


#: Numbers written as words count as figures ("cinco miembros", "mil millones de usuarios").
#: "one"/"uno"/"una" are left out: they are articles and pronouns far more often.
_NUMBER_WORD = (
    r"(?:dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|doce|quince|veinte|treinta|"
    r"cuarenta|cincuenta|cien|ciento|cientos|doscientos|trescientos|quinientos|mil|mill[oó]n|"
    r"millones|bill[oó]n|billones|docenas?|two|three|four|five|six|seven|eight|nine|ten|"
    r"twelve|fifteen|twenty|thirty|forty|fifty|hundreds?|thousands?|millions?|billions?|"
    r"trillions?|dozens?)"
)
#: Number words of one language and the other's, both ways: a number the asker gives is
#: given in either.
_SAME_NUMBER = {
    a: b
    for es, en in zip(
        "dos tres cuatro cinco seis siete ocho nueve diez doce quince veinte treinta cuarenta "
        "cincuenta".split(),
        "two three four five six seven eight nine ten twelve fifteen twenty thirty forty "
        "fifty".split(),
        strict=True,
    )
    for a, b in ((es, en), (en, es))
}
_HAS_NUMBER = re.compile(rf"\d|\b{_NUMBER_WORD}\b", re.IGNORECASE)
#: Not right after a letter, or a letter and a hyphen: digits there are a name's ("Movilidad
#: M1", "GPT-4o", "H20"), not a figure.
_NOT_A_NAMES = r"(?<![^\W\d_])(?<![^\W\d_]-)"
#: A number that can be a figure.
#: "both of" answers "how many of the two…" ("won both of this year's awards"); "both a
#: hardware fault and a software bug" counts nothing.
_BOTH = r"(?:both(?= of\b)|ambos|ambas)"
_FIGURE_NUMBER = re.compile(rf"{_NOT_A_NAMES}\d|\b{_NUMBER_WORD}\b|\b{_BOTH}\b", re.I)
#: "how much did X grow / aumentó": a multiple answers it ("Faire doubles PR throughput"),
#: though it gives no score or count ("two settings tripled our scores" says no score).
_GROWTH_ASKED = re.compile(
    r"\b(increase[sd]?|grow|grew|grown|growth|rise|rose|risen|improve[sd]?|boost(ed)?|"
    r"aument\w*|increment\w*|crec\w*|mejor[oóa]\w*)\b",
    re.I,
)
_FIGURE_OR_MULTIPLE = re.compile(
    rf"{_FIGURE_NUMBER.pattern}|\b(doubl(e|es|ed|ing)|tripl(e|es|ed|ing)|quadrupl(e|es|ed)|"
    r"twice|duplic(a|an|ó|aron)|triplic(a|an|ó|aron)|el doble|el triple)\b",
    re.I,
)


_DURATION_ASKED = re.compile(
    r"\bcu[aá]nto tiempo\b|\bfor how long\b|"
    r"\bhow long (did|does|do|has|have|had|will|would|were|after|before|ago|until)\b",
    re.I,
)
#: A length of time: "4 years", "cuatro horas", "a 2-week trial", "for about a month".
_UNITS_OF_TIME = (
    r"seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?|segundos?|minutos?|"
    r"horas?|d[ií]as?|semanas?|mes|meses|a[ñn]os?|d[eé]cadas?"
)
_DURATION = re.compile(
    rf"(\d[\d.,]*|\*NUMBER\*|\b{_NUMBER_WORD}|\b(a|an|one|half|un|una|media|medio|past|"
    r"last|pasad[oa]|[uú]ltim[oa]s?|several|few|varios|varias|unos|unas))[\s-]+"
    rf"({_UNITS_OF_TIME})\b|"
    r"\b(overnight|fortnight|decade|d[eé]cada)\b",
    re.I,
)
_FIGURE_OR_DURATION = re.compile(rf"{_FIGURE_NUMBER.pattern}|{_DURATION.pattern}", re.I)


def _figure_number(question: str) -> re.Pattern[str]:
    """What counts as a figure in an answer to ``question`` ("a month" answers "how long")."""
    if _GROWTH_ASKED.search(question):
        return _FIGURE_OR_MULTIPLE
    return _FIGURE_OR_DURATION if _DURATION_ASKED.search(question) else _FIGURE_NUMBER


#: "dozens of hosts", "millones de usuarios": an order of magnitude, not the figure asked for
_VAGUE = re.compile(
    r"dozens|hundreds|thousands|millions|billions|trillions|docenas|cientos|millones|billones",
    re.IGNORECASE,
)
#: A number the source redacted, with the scale words that hang on it: some corpora mask
#: every digit (FakeNewsCorpusSpanish writes "*NUMBER* millones de dólares"). It answers no
#: "how much": the figure is not there to give.
_REDACTED = re.compile(
    r"\*NUMBER\*(?:[\s.,]*(?:mil|mill[oó]n|millones|bill[oó]n|billones)\b)*", re.IGNORECASE
)

#: The words that announce a version number: "versión 3", "release 1.12", "v4"
_VERSION_WORD = r"\b(?:versi[oó]n|release|v)\s?"
_VERSION_ASKED = re.compile(
    rf"{_WHICH}(?:(?!(?:the|a|an|el|la|los|las|un|una)\s)[\w.-]+\s+){{0,2}}"
    r"(?:versi[oó]n(?:es|s)?|release|patch|parches?|build)\b"  # "releases", "builds": verbs too
    r"(?!\s+(?:stage|phase|status|channel|date|notes|cadence|fase|etapa|estado|fecha|notas))",
    re.I,
)
#: "what hashtag", "¿qué etiqueta…?": the tag itself ("#RAEConsultas"), not "&#39;"
_HASHTAG_ASKED = re.compile(rf"\bhashtags?\b|{_WHICH}etiquetas?\b", re.I)
_HASHTAG = re.compile(r"(?<![\w&])#\w")
#: "1.37", "v4", "versión 3", "K2-0905", ".NET 8", "2026-07-28" (not the "2" of "multi2vec")
_VERSION_NUMBER = re.compile(
    rf"(?<![\w.])\d+\.\d+|{_VERSION_WORD}\d+|\b[^\W\d_]\w*[-‐‑]\d+|"
    r"\b[A-Z]\w*\s\d+\b|\b\d{4}-\d\d-\d\d\b",
    re.I,
)
#: "which part of the series", "¿qué entrega de la serie…?"
_PART_ASKED = re.compile(
    rf"{_WHICH}(?:parte|part|entrega|instal?ment|episod(?:e|io)|cap[ií]tulo|chapter)\b"
    r".{0,60}\bseries?\b",
    re.I,
)
#: "part VI", "parte 2", "This is part 2 of 3", "episode 12"
_PART = re.compile(
    r"\b(?:part|parte|entrega|instal?ment|episode|episodio|chapter|cap[ií]tulo)\s+"
    r"(?:[IVXL]+|\d+)\b|\b\d+ (?:of|de) \d+\b",
    re.I,
)
#: Answers with a shape of their own ("which version", "what hashtag"): the quote holds one.
_SHAPES = (
    (_VERSION_ASKED, _VERSION_NUMBER),
    (_HASHTAG_ASKED, _HASHTAG),
    (_PART_ASKED, _PART),
)
#: "la release 1.12", "version 2.3", "v4" in a question: a number the cited article must say
_RELEASE = re.compile(rf"{_VERSION_WORD}(\d+(?:\.\d+)*)(?![\w.])", re.IGNORECASE)
_VALUATION_ASKED = re.compile(r"\b(valued|valuation|valoraci[oó]n|valorad[ao]s?)\b", re.I)
#: Kinds of figure a question can ask for, and what evidence of that kind looks like. A
#: "what percentage" question is not answered by a download count from the same article.
_ASKED: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = (
    (  # "what's the context window of X": a size in tokens ("128K", "1M", "128,000 tokens")
        re.compile(
            r"\b(?:what(?:'s| is| was)?|which|qu[eé]|cu[aá]l(?:\s+es)?|cu[aá]nt[oa]s?)\s+"
            r"(?:[\w.'-]+\s+){0,3}?(?:context window|ventana de contexto|context length|"
            r"tokens de contexto)\b(?!\s+(?:indicator|indicador))"
            r"|\bhow (?:big|large|long)\b.{0,40}\bcontext\b",
            re.I,
        ),
        _CONTEXT_SIZE := re.compile(
            r"\b\d[\d.,]*\s?(?:[KkMm]\b|[KkMm]-token|million|mill[oó]n|thousand)"
            r"|\b\d[\d.,]*\s*tokens?\b|\b\d{2,3}[.,]\d{3}\b",
            re.I,
        ),
    ),
    (
        re.compile(
            rf"\b(porcentaje|percentage|percent|por ciento|qu[eé] parte{_NOT_OF_A_SERIES}|"
            r"what share)\b",
            re.I,
        ),
        re.compile(r"\d\s?%|\bpor ciento\b|\bper ?cent\b", re.I),
    ),
    (
        re.compile(
            r"\b(dinero|money|d[oó]lares|dollars|euros|valuation|valoraci[oó]n|salary|salaries|"
            r"salario|sueldo|"
            r"how much (\w+ ){0,3}(did|does|do|has|have|is|was|were|will)\b.*\b(raise|pay|spend|"
            r"invest|donate|worth|charge|cost|sell|sold|buy|bought|acquired?|purchased?)|"
            r"how much (funding|money|capital|cash|investment)\b|"
            r"por cu[aá]nto (dinero )?(se )?(vend|compr|adquiri)\w*|"
            r"(what|which)(\s+is|'s|\s+was|\s+are)?(\s+[\w']+){0,4}\s+(price|cost|fee)s?\b|"
            r"cu[aá]l (es|era|fue) (el|la) (precio|costo|coste|tarifa)\b|"
            r"cu[aá]nto (cuesta|cuestan|cost[oóa]|costar[aá]n?)\b|"
            r"cu[aá]nta (financiaci[oó]n|inversi[oó]n)\b|cu[aá]nt[oa] (plata|lana|pasta|dinero)|"
            r"cu[aá]nto\b.{0,20}\b(premio|bote|recompensa)|how (much|big)\b.{0,20}\b(prize|award|"
            r"reward|bounty)|"
            r"cu[aá]nto (vale|valen|val[ií]a|val[ií]an|vali[oó])\b|"
            r"cu[aá]nto (l[eo]s? |nos |me |te )?"
            r"(dinero|pag|invirti|invertir|recaud|levant|don|cobr|gan[aó]\w*\b)|"
            r"how much (do|does|did) \w+( \w+)? (earn|make)\b|"
            r"(how much|cu[aá]nto)\b.{0,40}\b(plan|plans|subscriptions?|tiers?|seats?|"
            r"memberships?|suscripci[oó]n|licencias?|licen[cs]es?)\b)",
            re.I,
        ),
        re.compile(
            rf"[$€£¥]\s?\d|(\d[\d.,]*|\b{_NUMBER_WORD})\s?(bn|b|m|k|mn|mil millones|millones|"
            r"million|billion)?"
            r"\s?(de\s)?([$€£¥]|(US\$|USD|EUR|d[oó]lares|dollars|euros|yuan(es)?|libras|pounds|"
            r"pesos)\b)",
            re.I,
        ),
    ),
    (  # "how much did X raise": a round's amount, not a prize or a price the text also gives
        re.compile(
            r"\b(how much|what amount|cu[aá]nt[oa]s?|qu[eé] (?:cantidad|monto|suma))\b.{0,40}"
            r"\b(raise[sd]?|raising|fundraising|funding|financiaci[oó]n|levant(?:[oó]|ad[oa]s?|"
            r"aron|ar)|recaud\w*|capt(?:[oó]|ad[oa]s?|aron|ar))\b",
            re.I,
        ),
        re.compile(
            r"\b(rais\w*|fund\w*|rounds?|series [a-z]|seed|invest\w*|back(?:ed|ing|ers?)|"
            r"led by|ronda|financ\w*|levant\w*|recaud\w*|capt[oóa]\w*|inversi\w*|inversor\w*|"
            r"serie [a-z])\b",
            re.I,
        ),
    ),
    (  # "what was the final score": a result ("31-30", "dos a uno"), not any number
        re.compile(
            r"\b(final score|score of the (game|match)|what was the score|marcador|"
            r"resultado final|c[oó]mo (qued[oó]|terminó|acab[oó]) el (partido|juego))\b",
            re.I,
        ),
        re.compile(
            rf"\b\d+\s?[-–]\s?\d+\b|\b(\d+|{_NUMBER_WORD}) (a|to) (\d+|{_NUMBER_WORD})\b",
            re.I,
        ),
    ),
    (  # "what score did X get on Y": a result ("72.5%", "1,450 points"), not "3 months"
        re.compile(
            r"(?<!final )\b(scor(?:e|ed|es)|puntuaci[oó]n|puntaje)\b(?=.{0,40}\b(on|en|in|at)\b)"
            # "what detection accuracy did it reach": a result too
            r"|\b(?:what|which|qu[eé])\s+(?:[\w-]+\s+)?(?:accuracy|precisi[oó]n|exactitud"
            r"|success rate|win rate|tasa de [eé]xito|tasa de acierto)\b",
            re.I,
        ),
        re.compile(
            r"\d\s?%|\b\d+(?:[.,]\d+)?\s?/\s?\d+|\b\d+[.,]\d+\b|"
            r"\b\d+(?:[.,]\d+)?\s?(?:points?|puntos?|pts)\b|"
            r"\b(?:scor\w*|puntu\w*|puntaje|achiev\w*|alcanz\w*|obtuvo|sac[oó])\b.{0,30}\d",
            re.I,
        ),
    ),
    (  # "what discount": a share or a part off ("50% off", "half price"), not any count
        re.compile(r"\b(?:discounts?|descuentos?)\b", re.I),
        re.compile(r"\d\s?%|\b\d+\s?(?:percent|por ciento)\b|\b(?:half|mitad|off)\b", re.I),
    ),
    (  # "which version": a version number, not the announcement that names none
        _VERSION_ASKED,
        _VERSION_NUMBER,
    ),
    (  # "which part of the series": the instalment, not what it covers
        _PART_ASKED,
        _PART,
    ),
    (  # "what was X valued at": a valuation, not the round that set it ("Core Values")
        _VALUATION_ASKED,
        re.compile(r"\b(valuations?|valued|valoraci[oó]n\w*|valorad\w*|valora|worth)\b", re.I),
    ),
    (  # "how much per month": a monthly price, not a per-token one
        re.compile(r"\b(per month|a month|monthly|al mes|por mes|mensual(es|mente)?)\b", re.I),
        re.compile(r"/\s?mo(nth)?\b|\b(months?|monthly|al mes|por mes|mensual\w*)\b", re.I),
    ),
    (  # "how old is X": an age, not any number the article gives
        re.compile(r"\b(how old|what age|qu[eé] edad|cu[aá]ntos a[ñn]os tienen?)\b", re.I),
        re.compile(
            rf"(\d+|\*NUMBER\*|\b{_NUMBER_WORD})[- ](?:years?|months?|weeks?)[- ]old|"
            r"\baged? (of )?\d|"
            rf"(?<!dentro )\b(de|con|tiene|tienen|cumpli\w*) (\d+|\*NUMBER\*|{_NUMBER_WORD}) "
            r"(?:a[ñn]os|meses|semanas)\b|"
            r"\bedad\b",
            re.I,
        ),
    ),
    (  # "how tall / high is X": a height, not a date
        re.compile(
            r"\b(how (tall|high)|what height|qu[eé] (altura|altitud)|qu[eé] tan alt[oa])\b", re.I
        ),
        re.compile(
            r"(\d[\d.,]*|\*NUMBER\*)\s?(m|metros|meters|metres|feet|ft|pies|msnm|km|"
            r"kil[oó]metros)\b",
            re.I,
        ),
    ),
    (  # "tokens per second": a throughput, not "2.5x higher speeds" or a price per token
        re.compile(
            r"\b(tokens?|tok)\s?(/\s?|per |por |a )(s|sec|second|segundo)s?\b|\btps\b", re.I
        ),
        re.compile(
            r"\b(tokens?|tok|t)\s?(/\s?|per |por |a |each |every )(s|sec|second|segundo)s?\b|"
            r"\btps\b",
            re.I,
        ),
    ),
    (  # "in euros": a sum in euros, not the same fine reported in dollars
        re.compile(r"\b(in|en) euros?\b", re.I),
        re.compile(r"€|\beuros?\b|\bEUR\b", re.I),
    ),
    (
        re.compile(r"\b(in|en) (US |U\.S\. )?(dollars|d[oó]lares)\b", re.I),
        re.compile(r"\$|\bdollars?\b|\bd[oó]lares\b|\bUSD\b", re.I),
    ),
    (
        re.compile(r"\b(in|en) (pounds|libras)\b", re.I),
        re.compile(r"£|\bpounds?\b|\blibras\b|\bGBP\b", re.I),
    ),
    (  # "how long did it take": a length of time, not the model's size or a date
        _DURATION_ASKED,
        _DURATION,
    ),
    (  # "what year was X founded": a founding, not the year in a title
        re.compile(
            r"\b(when|what year|which year|cu[aá]ndo|qu[eé] a[ñn]o)\b.*\b(founded|fundad[ao]s?|"
            r"fund[oó]|established|fundaron)\b",
            re.I,
        ),
        re.compile(r"\b(found(ed|er|ers|ing)|fundad\w*|fund[oó]|fundaron|established)\b", re.I),
    ),
)

#: "how much did X pay": a price, not any sum the article gives. Asked by a question that
#: does not name another kind of thing it asks for: "what did X pay…" asks a price, "¿en
#: qué comunidad… los que cobran ayuda…?" a place.
_PRICE_ASKED: tuple[re.Pattern[str], re.Pattern[str]] = (
    re.compile(
        r"\b(pa(y|ys|id)|pag(ar|a|an|ó|o|aron|ado|ará)|cost(ó|o|s|ar)?|cuestan?|prices?|pricing|"
        r"precios?|charges?|cobr(a|an|ar|ó|ará))\b(?!-)",
        re.I,
    ),
    re.compile(
        r"\b(pa(y|ys|id|ying)|pag[aoóué]\w*|cost\w*|cuest\w*|pric\w*|precio\w*|charg\w*|cobr\w*|"
        r"tarifa\w*|fee|fees)\b|\b(for|por)\s+(US\$|\$|€|£)?\s?\d",
        re.I,
    ),
)


@dataclass(slots=True)
class Citation:
    n: int
    article_id: int
    title: str
    url: str | None
    source: str
    published_at: datetime | None
    sentence: str
    lang: str


@dataclass(slots=True)
class Answer:
    question: str
    found: bool
    text: str
    lang: str
    citations: list[Citation] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    direct: str | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "question": self.question,
            "answer": self.text,
            "direct": self.direct,
            "found": self.found,
            "citations": [
                {
                    "n": c.n,
                    "id": c.article_id,
                    "title": c.title,
                    "url": c.url,
                    "sentence": c.sentence,
                    "lang": c.lang,
                }
                for c in self.citations
            ],
        }


@dataclass(slots=True)
class _Concept:
    """One word of the question with every stem (either language) that counts as it."""

    stems: set[str]
    phrases: list[tuple[str, ...]]
    is_name: bool = False  # a proper name: the cited article must mention it
    #: the noun a "which/qué" asks for ("¿qué startup…?", "which phones"): counted where a
    #: sentence says it, not required where it names the thing without the kind
    optional: bool = False
    #: no lexicon entry, family or induced translation links the word to the other language
    #: ("voicing", "cracks"): an article in that language cannot be judged on it
    unlinked: bool = False
    word: str = ""  # as typed (one word; empty for a name of several): see ``_names_by_use``
    #: the asker points at the article ("the paper"): optional, and no kind of answer
    document: bool = False
    #: in quotes ("el ensayo de los founders 'resourceful'"): the article's own words, which
    #: the cited article must say (see ``_names_by_use``)
    quoted: bool = False
    #: a country ("which US national lab", "modelos de EE.UU."): counted where a sentence
    #: says it, but a lab's own post rarely names its country, so not required of the article
    country: bool = False

    def matched(self, terms: set[str]) -> bool:
        return bool(self.stems & terms) or any(set(p) <= terms for p in self.phrases)

    def named_in(self, terms: set[str]) -> bool:
        """As ``matched``, where a name's stem may also run on a little ("Postgres" in
        "PostgreSQL", "Nvidia" in "NVIDIA's") or take a plural ("MCP" in "custom MCPs"), but
        never shrink ("Post")."""
        return (
            self.matched(terms)
            or any(s + "s" in terms for s in self.stems)
            or any(
                t.startswith(s) and len(t) - len(s) <= 4
                for s in self.stems
                if len(s) >= 5
                for t in terms
            )
        )

    def matched_loosely(self, terms: set[str], prefixes: set[str]) -> bool:
        """Also where one stem extends the other by a suffix the stemmers left
        ("taxi" / "taxistas"): see ``_prefixes``."""
        return (
            self.matched(terms)
            or bool(self.stems & prefixes)
            or bool(_prefixes(self.stems) & terms)
        )


def _coverage(concepts: Sequence[_Concept], covered: set[int]) -> float:
    """Share of ``concepts`` a sentence covers (``covered``: their ids); an optional one
    counts only when covered."""
    matched = [id(c) in covered for c in concepts]
    counted = sum(1 for c, m in zip(concepts, matched, strict=True) if m or not c.optional)
    return sum(matched) / counted if counted else 0.0


#: Where a question's last clause starts: "…, what did they keep intact?", "…: which one?".
_LAST_CLAUSE = re.compile(
    r"[,:;—–-]\s*(?:and\s+|y\s+)?¿?(?=(?:what|which|who|where|when|how|qu[eé]|cu[aá]l|"
    r"qui[eé]n|d[oó]nde|cu[aá]ndo|c[oó]mo|cu[aá]nt[oa]s?)\b)",
    re.IGNORECASE,
)


def _asked_last(question: str, content: Sequence[_Concept]) -> set[int]:
    """The required content words of a question's last clause, when an earlier clause only
    sets the scene ("openai made private MCP servers reachable…, what did they keep
    intact?"); empty for a question of one clause."""
    starts = [m.end() for m in _LAST_CLAUSE.finditer(question)]
    if not starts:
        return set()
    last = fold(question[starts[-1] :])
    return {
        id(c)
        for c in content
        if not c.optional and re.search(rf"\b{re.escape(fold(c.word))}\b", last)
    }


def _readable(
    concepts: list[_Concept],
    content: list[_Concept],
    covered: set[int],
    vouched: bool,
    theirs: AbstractSet[int] = frozenset(),
) -> tuple[list[_Concept], list[_Concept]]:
    """``concepts`` and ``content`` less the unlinked words a text in the other language
    does not say: nothing translates them, so their absence is no evidence. Only when most
    of the question can be read there and the text shows it is on topic (the model puts it
    close, or it says two of the question's words); otherwise all of them count. A word in
    ``theirs`` is one an article read in that language says ("prefill" typed in a Spanish
    question): it is that language's own word, and counts."""

    def readable(c: _Concept) -> bool:
        return not c.unlinked or id(c) in covered or id(c) in theirs

    found = sum(id(c) in covered for c in content)
    if 2 * sum(map(readable, content)) < len(content) or not (vouched or found >= 2):
        return concepts, content
    return [c for c in concepts if readable(c)], [c for c in content if readable(c)]


def _prefixes(stems: set[str]) -> set[str]:
    """Each stem's prefixes of at least 4 letters that drop at most 3 of them (a cognate
    skeleton is matched whole)."""
    return {w[:k] for w in stems if w[:1] != _COGNATE for k in range(max(4, len(w) - 3), len(w))}


@dataclass(slots=True)
class _When:
    """A month or a year in the question: it constrains the article's date, not its words."""

    month: int | None = None
    year: int | None = None
    day: int | None = None  # "Dec 4, 2024": only with its month and year

    def fits(self, when: datetime | None, words: set[str]) -> bool:
        """Published then, or telling of then: "the chip the US stopped selling back in
        April" is reported months later, and "compared to 2012" by an article of 2020.
        ``words``: the article's folded words. A day asked allows a few days either side
        of the date of publication (a weekly issue dated "Dec 4" is out that week)."""
        if (
            (self.month is None or self.month in {_MONTHS.get(w) for w in words})
            and (self.year is None or str(self.year) in words)
            and (self.day is None or str(self.day) in words)
        ):
            return True
        if when is None:
            return False
        if self.day is not None and self.month is not None and self.year is not None:
            asked = datetime(self.year, self.month, self.day, tzinfo=when.tzinfo)
            return abs((when - asked).days) <= _DAYS_AROUND
        return (self.month is None or when.month == self.month) and (
            self.year is None or when.year == self.year
        )

    def window(self) -> tuple[datetime, datetime] | None:
        """The span of publication dates asked, or None for a month of any year."""
        if self.year is None:
            return None
        if self.day is not None and self.month is not None:
            asked = datetime(self.year, self.month, self.day, tzinfo=UTC)
            return asked - timedelta(days=_DAYS_AROUND), asked + timedelta(days=_DAYS_AROUND + 1)
        if self.month is None:
            return datetime(self.year, 1, 1, tzinfo=UTC), datetime(self.year + 1, 1, 1, tzinfo=UTC)
        start = datetime(self.year, self.month, 1, tzinfo=UTC)
        end = datetime(self.year + self.month // 12, self.month % 12 + 1, 1, tzinfo=UTC)
        return start - timedelta(days=_DAYS_AROUND), end + timedelta(days=_DAYS_AROUND)


#: How far from a day asked an article may be published and still be of that day.
_DAYS_AROUND = 3


_MONTHS = {
    fold(name): n
    for n, names in enumerate(
        (
            "enero january jan",
            "febrero february feb",
            "marzo march mar",
            "abril april apr",
            "mayo may",
            "junio june jun",
            "julio july jul",
            "agosto august aug",
            "septiembre setiembre september sep sept",
            "octubre october oct",
            "noviembre november nov",
            "diciembre december dec",
        ),
        start=1,
    )
    for name in names.split()
}


#: "when", "¿para qué fecha?": the answer is a date, which the quote should say
_ASKS_DATE = re.compile(
    r"\b(when|cu[aá]ndo|what date|qu[eé] fecha|what day|qu[eé] d[ií]a|what month|which month|"
    r"qu[eé] mes|en qu[eé] a[ñn]o|what year|which year)\b",
    re.IGNORECASE,
)
#: A sentence that says when: a month (written out), a year, a weekday or a relative date.
_DATED = re.compile(
    r"\b(?:"
    + "|".join(sorted({m for m in _MONTHS if len(m) > 3}, key=len, reverse=True))
    + r"|(?:19|20)\d\d|lunes|martes|mi[eé]rcoles|jueves|viernes|s[aá]bado|domingo|monday|"
    r"tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|ma[ñn]ana|next (?:week|month|"
    r"year)|(?:la |el )?pr[oó]xim[oa] (?:semana|mes|a[ñn]o))\b",
    re.IGNORECASE,
)


def _when(question: str) -> tuple[_When | None, set[str]]:
    """The question's month/year, and the words that said it (not content words)."""
    month = year = day = None
    said: set[str] = set()
    words = re.findall(r"\w+", question)
    for i, word in enumerate(words):
        folded = fold(word)
        after = words[i + 1] if i + 1 < len(words) else ""
        if folded in _MONTHS and (len(folded) > 3 or after.isdigit()) and month is None:
            month = _MONTHS[folded]  # "Dec 4", "Dec 2024": a short name with its number
            said.add(folded)
            before = words[i - 2] if i > 1 and fold(words[i - 1]) == "de" else ""
            for number in (after, before):  # "Dec 4", "4 de diciembre"
                if number.isdigit() and 1 <= int(number) <= 31:
                    day = int(number)
        elif re.fullmatch(r"(19|20)\d\d", word) and year is None:
            year = int(word)
            said.add(word)
    if said and re.search(r"\bback (?:in|then)\b", question, re.IGNORECASE):
        said.add("back")  # "back in April": when, not what
    if month is not None:  # "mid-November", "early October", "a principios de abril"
        said |= {fold(w) for w in _PART_OF_MONTH.findall(question)}
    if month is None or year is None:
        day = None
    if day is not None:
        said.add(str(day))
    return (_When(month, year, day) if month or year else None), said


def _of_source_then(core: Core, question: str, when: _When) -> list[int]:
    """Articles of a source the question names, published when it says, those the model
    puts closest to the question first (at most ``SOURCE_DATED_HITS``)."""
    window = when.window()
    if window is None:
        return []
    said = fold(question)
    with Session(core.engine) as session:
        sources = session.execute(select(Source.id, Source.name)).all()
        named = [sid for sid, name in sources if any(p.search(said) for p in _source_names(name))]
        if not named:
            return []
        rows = session.execute(
            select(Passage.id, Passage.article_id)
            .join(Article, col(Article.id) == col(Passage.article_id))
            .where(
                col(Article.source_id).in_(named),
                col(Article.published_at) >= window[0],
                col(Article.published_at) < window[1],
            )
            .limit(SOURCE_DATED_PASSAGES)
        ).all()
    article_of = {int(pid): int(aid) for pid, aid in rows}
    best: dict[int, float] = {}
    for pid, cosine in _cosines(core, question, list(article_of)).items():
        best[article_of[pid]] = max(best.get(article_of[pid], -1.0), cosine)
    return sorted(best, key=best.__getitem__, reverse=True)[:SOURCE_DATED_HITS]


#: Words of a source's name that name no one: "The Batch", "Anthropic News", "AI FIRST
#: Podcast", "Paul Graham Essays" are named as "the batch", "Anthropic", "AI First".
_SOURCE_WORDS = frozenset(
    "the blog news research papers publications writing essays podcast changelog "
    "engineering developer developers team frontier red".split()
)


@lru_cache(maxsize=256)
def _source_names(name: str) -> tuple[re.Pattern[str], ...]:
    """How a question may name the source ``name``: each part of it ("The Batch (Andrew Ng,
    DeepLearning.AI)" has three) without its generic words, in words of 3 letters or more."""
    patterns = []
    for part in re.split(r"[(),]|\s-\s", name):
        words = [fold(w) for w in re.findall(r"[\w.]+", part)]
        while words and words[0] in _SOURCE_WORDS:
            words = words[1:]
        while words and words[-1] in _SOURCE_WORDS:
            words = words[:-1]
        if len("".join(words)) >= 3:
            patterns.append(re.compile(r"\b" + r"\W+".join(map(re.escape, words)) + r"\b"))
    return tuple(patterns)


#: Words that place a date within its month: when, not what.
_PART_OF_MONTH = re.compile(
    r"\b(mid|early|late|beginning|end|principios|mediados|finales|comienzos|fines)\b"
    r"(?=[\s-]+(?:of\s+|de\s+)?(?:" + "|".join(m for m in _MONTHS if len(m) > 2) + r")\b)",
    re.IGNORECASE,
)


@dataclass(slots=True)
class _Sentence:
    article_id: int
    index: int  # -1 for the title, then body order
    text: str
    passage_id: int | None


#: "what's FOI short for?", "what does RLHF stand for?", "¿qué significa OMS?": the words
#: around the acronym ask for its expansion; they are not what the answer is about.
_ACRONYM_ASKED = re.compile(
    r"\b([A-Z][A-Za-z]{1,6})\b(?:'s)?\s+(?:short for|stands? for|mean|means)\b"
    r"|\b(?:significan?|siglas de|quiere decir)\s+(?:las siglas\s+)?(?:el |la |los |las )?"
    r"([A-Z][A-Za-z]{1,6})\b"
)
_ACRONYM_WORDS = frozenset(
    "short stand stands mean means significa significan siglas quiere decir full completo".split()
)
_FULL_NAME = re.compile(r"\b(?:full name|nombre completo)\b", re.IGNORECASE)


def _acronym_asked(question: str) -> str:
    """The acronym whose expansion the question asks for, or "": "what's FOI short for", and
    "¿qué empresa es WWT? el nombre completo" when the question has one acronym."""
    match = _ACRONYM_ASKED.search(question)
    word = (match.group(1) or match.group(2)) if match else ""
    if not word and _FULL_NAME.search(question):
        acronyms = set(re.findall(r"\b[A-Z]{2,6}\b", question))
        word = acronyms.pop() if len(acronyms) == 1 else ""
    return word if sum(c.isupper() for c in word) >= 2 else ""


def _expands(acronym: str, text: str) -> bool:
    """Whether ``text`` spells ``acronym`` out: "Freedom of information (FOI)", "la
    Organización Mundial de la Salud (OMS)", "RLHF (reinforcement learning from human
    feedback)", "World Wide Technology" (WWT). The initials are read with and without the
    small words."""
    letters = [c.lower() for c in acronym if c.isupper()]

    def initials(words: list[str], last: bool) -> bool:
        # small words may lend a letter or none: "fill-in-the-middle (FIM)"
        return _spells(words[::-1] if last else words, letters[::-1] if last else letters)

    for match in re.finditer(rf"\b{re.escape(acronym)}s?\s*\(([^)]*)\)", text):
        inside = match.group(1)  # "STARC (STAndardised Reward Comparison)"
        if [c.lower() for c in inside if c.isupper()] == letters:
            return True
        if initials(re.findall(r"[^\W\d_]+", inside), last=False):
            return True
    for match in re.finditer(rf"\(\s*{re.escape(acronym)}s?\s*\)", text):
        before = re.findall(r"[^\W\d_]+", text[: match.start()])[-3 * len(letters) :]
        if initials(before, last=True):
            return True
    # or a name of as many capitalised words, anywhere: "World Wide Technology" for "WWT"
    capitalised = r"[A-ZÁÉÍÓÚÑ][^\W\d_]+"
    name = rf"\b{capitalised}(?:\s+{capitalised}){{{len(letters) - 1}}}\b"
    return any(
        [w[0].lower() for w in m.group().split()] == letters for m in re.finditer(name, text)
    )


def _spells(words: Sequence[str], letters: Sequence[str]) -> bool:
    """Whether ``words``, from the first, give ``letters`` by their initials, skipping
    small words that give none."""
    if not letters:
        return True
    if not words:
        return False
    head = words[0]
    if head[:1].lower() == letters[0] and _spells(words[1:], letters[1:]):
        return True
    return is_stopword(head) and _spells(words[1:], letters)


#: Words the asker puts in quotes: 'resourceful', "How Not to Die", «off switch».
_QUOTED = re.compile(r"""(?:(?<=[\s¿(])|^)['"«“‘]([^'"»”’]{2,80})['"»”’](?=[\s?.,!;:)]|$)""")


def _concepts(
    core: Core, question: str, skip: frozenset[str] | set[str] = frozenset(), lang: str = ""
) -> list[_Concept]:
    """The question's words that must be covered, one concept per word. A known name of
    several words ("Estados Unidos", "EE.UU.") is one concept with all its aliases; each word
    of a lexicon phrase ("centros de datos") is also matched by the phrase's translations."""
    concepts: list[_Concept] = []
    own_of: dict[int, set[str]] = {}
    names, phrases_at = _phrase_spans(core, question)
    taken: set[int] = set()
    if _acronym_asked(question):
        skip = set(skip) | _ACRONYM_WORDS
    quoted = [m.span(1) for m in _QUOTED.finditer(question)]
    at: dict[int, _Concept] = {}  # each concept by where its word starts in the question
    for i, match in enumerate(re.finditer(r"\w+", question)):
        raw = match.group()
        span = next((s for s in names if s[0] <= match.start() < s[1]), None)
        if span is not None:
            if span[0] not in taken:
                taken.add(span[0])
                concepts.append(_Concept(*_stems_and_phrases(span[2]), is_name=True))
                at[match.start()] = concepts[-1]
                concepts[-1].country = _qualifies(core, question, span[0], span[1])
            continue
        word = raw.lower()
        after_wh = bool(_WH.search(question[: match.start()]))
        acronym = raw.isupper() and len(raw) > 1 and bool(core.gazetteer.find(raw))  # "WHO"
        if not acronym and (is_stopword(word) or len(word) < 2 or fold(word) in _QUESTION_WORDS):
            continue
        if fold(word) in skip or _GIVEN_FIGURE.fullmatch(word):
            continue  # a figure the asker gives is checked as evidence, not as a word
        if _MEASURE_ASKED.search(question[: match.end()]):
            continue  # "how long", "cuánto tiempo": the kind of figure, checked as evidence
        # A name must appear in the article: one the gazetteer knows, or a capitalised word
        # with no translation ("Bun", "SuperGrok"). A capitalised word the lexicon translates
        # ("Southeast" / "sudeste") is content that the other language may cover.
        translatable = bool(core.searcher.expander.lexicon.expand(word))
        known = bool(core.gazetteer.find(raw))
        # the question's first word is capitalised whatever it is, after "¿" too ("¿Cada…")
        is_name = known or (
            i > 0
            and raw[:1].isupper()
            and not translatable
            and not (after_wh and _kind_acronym(raw, question[match.end() :], lang))
        )
        # The word as typed too: "US" is a name with aliases, the folded "us" has none.
        variants = core.searcher.expander.variants
        inside = [v for s in phrases_at if s[0] <= match.start() < s[1] for v in s[2]]
        own = [*variants(word), *variants(raw), *inside]
        if _ACRONYM_PLURAL.fullmatch(raw):  # "PDFs" is said by "PDF files"
            own += [raw[:-1], *variants(raw[:-1])]
        stems, phrases = _stems_and_phrases([*own, *_family(core, own)])
        own_stems = set(query_terms(word))
        # Induced translations of the word as asked only: chained through the lexicon's
        # variants they drift ("revenue" -> "facturación" -> "scale").
        stems |= own_stems | core.searcher.expander.lexicon.translations(own_stems)
        # English capitalises what Spanish does not ("Greek" / "griego", "the Lion King" /
        # "El rey león"): an English capitalised word no one knows is a name only in English.
        untranslated = not phrases and stems <= own_stems | set(query_terms(raw))
        if not known:  # "homophobic" is said by "homofóbico", "Sídney" by "Sydney" (bot.cognates)
            stems |= {_COGNATE + k for k in skeletons(raw)}
        english_only = lang == "en" and not known and not _ODD_NAME.search(raw)
        unlinked = untranslated and (not is_name or english_only)
        if stems or phrases:
            optional = after_wh and not is_name
            in_quotes = any(a <= match.start() < b for a, b in quoted)
            concepts.append(
                _Concept(stems, phrases, is_name, optional, unlinked, raw, quoted=in_quotes)
            )
            concepts[-1].country = known and _qualifies(core, question, *match.span())
            at[match.start()] = concepts[-1]
            own_of[id(concepts[-1])] = own_stems
    _categories_beside_names(concepts)
    for c in concepts:  # capitalised, it is part of a name: "Carta Healthcare"
        if fold(c.word) in _THE_DOCUMENT and not c.word[:1].isupper():
            c.optional = c.document = True
    # A translation that is spelled as one of the question's names is that name, not the
    # word: "put" (meter: "met") is not said by "Meta". A name's later words are often
    # generic ("Cohere AI", "Meta Superintelligence Labs"): "IA" still says "AI". A first
    # word that names another ("UK AISI") is that one's: "británico" still says "UK".
    named = {
        w
        for c in concepts
        if c.is_name
        for w in c.stems.union(p[0] for p in c.phrases if not core.gazetteer.find(p[0].upper()))
    }
    for c in concepts:
        if not c.is_name:
            c.stems -= named - own_of[id(c)]
    return _either(question, concepts, at)


#: What a name is ("el modelo Nemotron 3 Ultra", "the Orpheus model", "la startup Surge"):
#: said beside the name, the sentence that names it need not repeat it.
_CATEGORIES = frozenset(
    fold(w)
    for w in (
        "modelo modelos model models empresa company compañía startup app aplicación "
        "herramienta tool plataforma platform laboratorio lab chatbot asistente assistant "
        "agente agent servicio service producto product benchmark framework librería "
        "biblioteca library api version versions versión versiones"
    ).split()
)


#: Words by which the asker points at the article itself ("the cohere FOI post", "FAR's
#: paper", "la nota de Reforma"): counted where a sentence says them, never required.
_THE_DOCUMENT = frozenset(
    fold(w)
    for w in (
        "post posts paper article piece story blog writeup write-up essay essays artículo nota "
        "entrada reportaje ensayo ensayos issue newsletter edición boletín episode episodio "
        "letter carta"
    ).split()
)


#: The "or" of a closing choice: "generally available or still in preview?", "¿GA o beta?".
_OR = re.compile(r"\s(?:or|o|u)\s", re.IGNORECASE)
#: Words after it that may make a closing choice: "sigue en beta", "as a beta".
_CHOICE_WORDS = 3


#: A title the question may name: three words or more ("Life is Short", "The Fatal Pinch").
_TITLE_WORDS = 3
#: What shows the asker names a post by its title, not a product or a team that a title
#: also names ("anthropic's frontier red team", "del Claude 3.5 Sonnet actualizado"): "en" or
#: "in" or a word for the post before it, quotes around it, or a word for the post after it.
_TITLE_BEFORE = re.compile(
    r"(?:\b(?:en|in|essay|ensayo|post|paper|article|articulo|letter|carta|piece)\s+|['\"“‘«]\s*)$"
)
_TITLE_AFTER = re.compile(r"\s*(?:['\"”’»]|(?:essay|ensayo|post|paper|article|letter|piece)\b)")


def _names_title(question: str, title: str | None) -> bool:
    """Whether ``question`` names the post titled ``title`` as a post: the whole title, word
    for word (case and accents aside), with a sign that it is one (see ``_TITLE_BEFORE``)."""
    words = [re.escape(fold(w)) for w in re.findall(r"\w+", title or "")]
    if len(words) < _TITLE_WORDS:
        return False
    said = fold(question)
    spelled = r"\b" + r"\W+".join(words) + r"\b"
    return any(
        _TITLE_BEFORE.search(said, 0, m.start()) or _TITLE_AFTER.match(said, m.end())
        for m in re.finditer(spelled, said)
    )


#: After an acronym, what shows it is the kind asked for in English ("which API does…",
#: "which OS is…"), not a word qualifying the noun after it ("which UNAM rector").
_AFTER_A_KIND = re.compile(
    r"\s*(?:$|[?,;:]|(?:do|does|did|is|are|was|were|has|have|had|can|could|will|would|"
    r"should|got|gets|get|in|on|of|for|from|to|with|by|at)\b)",
    re.IGNORECASE,
)


def _kind_acronym(raw: str, after: str, lang: str) -> bool:
    """Whether an acronym right after "which / qué" is the kind asked for, which the answer
    need not say ("¿a qué IDE llegó…?": "…in Eclipse"), not a name. Spanish puts a noun it
    would qualify before it ("¿qué rector de la UNAM…?"); English after it."""
    letters = raw[:-1] if raw.endswith("s") else raw
    return (
        2 <= len(letters) <= 5
        and letters.isupper()
        and (lang == "es" or bool(_AFTER_A_KIND.match(after)))
    )


def _either(question: str, concepts: list[_Concept], at: Mapping[int, _Concept]) -> list[_Concept]:
    """A question that ends by offering a choice ("… GA or still in beta?") is answered by
    a sentence that says either: the words of both sides become one concept. The side before
    "or" is the run of (at most two) concepts right before it; the side after, the concepts
    of its next few words, which must end the question. ``at``: each concept by where its
    word starts."""
    found = list(_OR.finditer(question))
    if not found:
        return concepts
    choice_at = found[-1]
    if len(re.findall(r"\w+", question[choice_at.end() :])) > _CHOICE_WORDS:
        return concepts
    before: list[_Concept] = []
    for word in reversed(list(re.finditer(r"\w+", question[: choice_at.start()]))):
        c = at.get(word.start())
        if c is None or len(before) == 2:
            break
        before.append(c)
    later = [c for start, c in at.items() if start >= choice_at.end()]
    if not before or not later:
        return concepts
    sides = before + later
    stems = set().union(*(c.stems for c in sides))
    phrases = [p for c in sides for p in c.phrases]
    choice = _Concept(stems, phrases, word=before[-1].word)
    taken = {id(c) for c in sides}
    first = min(concepts.index(c) for c in sides)
    rest = [c for c in concepts if id(c) not in taken]
    return [*rest[:first], choice, *rest[first:]]


def _categories_beside_names(concepts: list[_Concept]) -> None:
    """Make a category word optional where the question puts it right beside a name, or
    beside a word nothing translates (a name typed in lower case: "modelo nemotron")."""
    for i, c in enumerate(concepts):
        if c.is_name or fold(c.word) not in _CATEGORIES:
            continue
        beside = concepts[max(0, i - 1) : i] + concepts[i + 1 : i + 2]
        if any(o.is_name or (o.unlinked and not o.optional) for o in beside):
            c.optional = True


_HOW_MUCH = re.compile(rf"\b({_HOW})\b", re.IGNORECASE)
#: "how long", "cuánto tiempo": the kind of figure asked for, checked as evidence, not a
#: word the answer must say ("durante media hora" says no "long").
_MEASURE_ASKED = re.compile(r"\b(how long|cu[aá]nto tiempo)$", re.IGNORECASE)
#: Also through a copula: "¿cuál es el modelo…?", "what's the hospital…?" ask for a thing
#: (which the answer names), though the noun there is the subject, not an optional kind.
_KIND = re.compile(
    rf"{_WH_WORD}(?:'s|’s)?\s+"
    r"(?:(?:is|was|are|were|es|son|fue|era|ser[aá])\s+)?(?:(?:the|el|la|los|las)\s+)?(\w+)",
    re.IGNORECASE,
)
#: "¿cómo se llama el benchmark…?", "what's the name of the platform": a name is asked for.
_NAME_OF = (
    r"(?:c[oó]mo se (?:llama|titula)(?:n|ba|ban)?|qu[eé] nombre (?:tiene|lleva|recibe|ten[ií]a)|"
    r"qu[eé] t[ií]tulo (?:tiene|lleva|ten[ií]a)|what(?:'s| is| was) the title of|"
    r"(?:el )?nombre en clave(?: de| del)?|what(?:'s| is| was) the code ?name (?:of|for)|"
    r"qu[eé] nombre (?:le |les )?(?:pusieron|puso|dieron|dio|han puesto|ha puesto)(?: a)?|"
    r"what(?:'s| is| was) the name of)(?:\s+(?:el|la|los|las|the))?"
)
#: "what does xAI call its RAG system", "what's the new mode called", "¿cómo llama Mistral a…?"
_CALLED = (
    r"what (?:do|does|did) (?:[\w.'-]+ ){1,3}call|"
    r"what(?:'s| is| was| are| were) (?:[\w.'-]+ ){1,5}called|"
    r"c[oó]mo (?:le |les )?(?:llama|llaman|llam[oó]|llamaron|bautiz[oó]|bautizaron)|"
    r"qu[eé] nombre (?:le |les )?(?:dio|dieron|da|dan|puso|pusieron)"
)
_NAME_FRAME = re.compile(_NAME_OF, re.IGNORECASE)
_ASKS_NAME = re.compile(rf"\b(?:{_NAME_OF}|{_CALLED})\b", re.IGNORECASE)


def _asks_for_a_thing(question: str) -> bool:
    """Whether a "which / qué" question names the kind of thing it asks for ("which
    regulator", "qué empresas"), not a figure's kind ("what price", "qué porcentaje")."""
    for match in _KIND.finditer(question):
        word = match.group(1)
        if (
            is_stopword(word)
            or fold(word) in _QUESTION_WORDS
            or _QUANTITY.search(word)
            or _QUANTITY.match(question, match.start(1))  # "what's the parameter count"
        ):
            continue
        return True
    return False


#: Kinds of thing whose members have names: "which universities", "qué revista", "what
#: company" are answered by a name ("McGill", "Environmental Research Letters"); "which part"
#: or "what two things" may be answered by plain words.
_NAMED_KIND = re.compile(
    rf"{_WHICH}(?:\w+\s+)?(universit(?:y|ies)|universidad(?:es)?|compan(?:y|ies)|empresas?|"
    r"compa[ñn][ií]as?|firms?|countr(?:y|ies)|pa[ií]s(?:es)?|cit(?:y|ies)|ciudad(?:es)?|"
    r"journals?|revistas?|publishers?|editorial(?:es)?|banks?|bancos?|startups?|labs?|"
    r"laboratorios?|clubs?|clubes|brands?|marcas?|teams?|equipos?|newspapers?|peri[oó]dicos?|"
    r"organi[sz]ations?|organizaci[oó]n(?:es)?|institutions?|instituci[oó]n(?:es)?|"
    r"agenc(?:y|ies)|agencias?|organismos?|regulators?|reguladore?s?|hospital(?:es|s)?|"
    r"schools?|escuelas?|channels?|canal(?:es)?|networks?|cadenas?|leagues?|ligas?|"
    r"airlines?|aerol[ií]neas?|museums?|museos?|stadiums?|estadios?|gpus?|chips?)\b",
    re.IGNORECASE,
)


def _wants_quantity(question: str) -> bool:
    """Whether the question asks for a figure. "Which regulator did Facua complain to about
    the price hikes?" names a price but asks for a thing; "whose image generator did The
    Batch cover in the LLM price war issue?" asks for someone."""
    if not _QUANTITY.search(question):
        return False
    return bool(_HOW_MUCH.search(question)) or not (
        _asks_for_a_thing(question) or _ASKS_WHO.match(question)
    )


#: A question that opens by asking who: "whose…", "¿con quién…?", "to whom…".
_ASKS_WHO = re.compile(
    r"\W*(?:(?:a|al|con|de|para|por|to|with|from|for|by)\s+)?(?:who|whom|whose|qui[eé]n(?:es)?)\b",
    re.IGNORECASE,
)


#: A digit or a capital after a small letter ("Hi5", "DeepSeek", "iPhone"; not "ATMs") marks
#: a name in any language, not an English word that English capitalises.
_ODD_NAME = re.compile(r"\d|[a-z][A-Z]")
#: The question word right before a noun that names the kind of thing asked for.
_WH = re.compile(rf"(?:{_WHICH}|{_NAME_OF}\s+)$", re.IGNORECASE)
_GIVEN_FIGURE = re.compile(
    rf"\d+|{_NUMBER_WORD}|d[oó]lares|dollars?|euros?|usd|eur|libras|pounds|yuan(?:es)?", re.I
)


def _family(core: Core, variants: list[str]) -> list[str]:
    """Every variant of the lexicon entries in the same ``_FAMILIES`` group as ``variants``."""
    folded = {fold(v) for v in variants}
    expand = core.searcher.expander.lexicon.expand
    out: list[str] = []
    for group in _FAMILIES:
        if folded & {fold(w) for w in group}:
            out += [v for w in group for v in expand(w)]
    return out


_Span = tuple[int, int, list[str]]

#: An acronym's plural ("PDFs", "GPUs"): no stemmer takes the "s" off a word without a vowel
#: before it, or off "-us".
_ACRONYM_PLURAL = re.compile(r"[A-Z]{2,}s")


#: A model or product id typed with hyphens and a number ("grok-code-fast-1", "gpt-4o-mini",
#: "qwen2.5-coder-7b"): one name, not the words "code" and "fast".
_MODEL_ID = re.compile(r"\b(?=[\w.-]*\d)[^\W\d_][^\W_]*(?:[.-][^\W_]+)*-[^\W_]+(?:[.-][^\W_]+)*\b")


def _phrase_spans(core: Core, question: str) -> tuple[list[_Span], list[_Span]]:
    """``(start, end, variants)`` of the known names written with several words in
    ``question``, then of its lexicon phrases; where two overlap, the longer wins."""
    found = [
        (start, end, _named(core, name, question[start:end]), True)
        for name, start, end in core.gazetteer.positions(question)
    ]
    found += [(m.start(), m.end(), [m.group()], True) for m in _MODEL_ID.finditer(question)]
    found += [
        (start, end, variants, False)
        for variants, start, end in core.searcher.expander.lexicon.spans(question)
    ]
    # A name of one word is a word like any other; a lexicon phrase of one ("se alió") still
    # lends its translations to that word.
    found = [
        f
        for f in found
        if sum(not is_stopword(w) for w in tokens(question[f[0] : f[1]])) > (1 if f[3] else 0)
    ]
    kept: list[tuple[int, int, list[str], bool]] = []
    for span in sorted(found, key=lambda f: f[1] - f[0], reverse=True):
        if all(span[1] <= k[0] or span[0] >= k[1] for k in kept):
            kept.append(span)
    return (
        [(a, b, v) for a, b, v, name in kept if name],
        [(a, b, v) for a, b, v, name in kept if not name],
    )


#: A part of a name written in camel case: "VS" and "Codium" of "VSCodium".
_CAMEL_PART = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def _spaced(word: str) -> re.Pattern[str] | None:
    """The name ``word`` written with its camel-case parts apart or together ("VSCodium",
    "VS Codium", "VS-Codium"), or None when it has one part."""
    parts = _CAMEL_PART.findall(word)
    if len(parts) < 2 or "".join(parts) != word:
        return None
    return re.compile(rf"\b{_NAME_JOINER.join(map(re.escape, parts))}\b", re.IGNORECASE)


def _qualifies(core: Core, question: str, start: int, end: int) -> bool:
    """Whether ``question[start:end]`` names a country the gazetteer knows as a qualifier
    ("which US national lab", "el gobierno de EE. UU."), not as where ("in Europe",
    "empleados en Europa"), which the article must say."""
    if _WHERE_BEFORE.search(question, 0, start):
        return False
    names = core.gazetteer.find(question[start:end])
    return any(core.gazetteer.kind(name) == "country" for name in names)


#: A preposition of place right before a name: "in", "en la", "across the".
_WHERE_BEFORE = re.compile(
    r"\b(?:in|inside|within|across|throughout|en|dentro de)\s+(?:the\s+|el\s+|la\s+|los\s+)?$",
    re.IGNORECASE,
)


def _named(core: Core, name: str, written: str) -> list[str]:
    """What counts as the entity ``name`` written as ``written``: all its aliases and their
    translations, unless the asker named one member of a family ("Claude Sonnet" is not
    "Claude Opus"). The lexicon lends only a translation of the whole name ("Unión Europea"
    / "European Union"), never of its words: "Surge AI" is not "se dispara"."""
    if fold(written) != fold(name) and fold(written).startswith(fold(name) + " "):
        return [written]
    whole = [
        variant
        for variants, start, end in core.searcher.expander.lexicon.spans(written)
        if start == 0 and end == len(written)
        for variant in variants
    ]
    return [*core.gazetteer.aliases(name), written, *whole]


def _stems_and_phrases(variants: list[str]) -> tuple[set[str], list[tuple[str, ...]]]:
    stems: set[str] = set()
    phrases: list[tuple[str, ...]] = []
    for variant in dict.fromkeys(variants):
        words = [w for w in tokens(variant) if not is_stopword(w)]
        if len(words) == 1:  # "fines" is no "fin": a false friend only as the word itself
            own = fold(words[0])
            stems.update(t for t in query_terms(variant) if t == own or t not in FALSE_FRIENDS)
        elif words:
            phrases += [phrase_stems(variant, lang) for lang in ("es", "en")]
    return stems, phrases


def _host(url: str | None) -> str:
    """``https://www.pinecone.io/blog/x`` -> ``pinecone``: the site names its owner."""
    host = urlsplit(url or "").hostname or ""
    parts = [p for p in host.split(".") if p not in ("www", "blog", "news")]
    return parts[0] if parts else ""


#: A word written with a hyphen is also the word without it: "WI-FI" is "wifi".
_HYPHENATED = re.compile(r"\b[^\W\d_]+(?:-[^\W\d_]+)+\b")


def _terms(text: str) -> set[str]:
    """The text's stems under both stemmers, and its words' cognate skeletons ("~…")."""
    joined = [m.group().replace("-", "").lower() for m in _HYPHENATED.finditer(text)]
    words = tokens(text) + glued_words(text) + joined
    return (
        set(stem_tokens(words, "es"))
        | set(stem_tokens(words, "en"))
        | {_COGNATE + k for w in words for k in skeletons(w)}
    )


def answer(core: Core, question: str, lang: str, *, limit_articles: int = ARTICLES_READ) -> Answer:
    """Answer ``question`` from the index, or say plainly that nothing answers it."""
    question = _CONTRACTION.sub(
        lambda m: f"{m.group(1)}'s", validate_query(question, core.settings.max_query_chars)
    )
    hits, lexical = core.searcher.search_with_lexical(question, limit=limit_articles)
    ids = [h.article_id for h in hits]
    # Fusion drops what only full text finds: "Windsurf Next 1.12.150" (the model ranks every
    # 1.12.x alike), a Spanish question on an English post the model puts far away.
    ids += [aid for aid in lexical[:LEXICAL_HITS] if aid not in ids]
    when, said = _when(question)
    if when is not None:
        # "en agosto de 2025" matches every post of that month in full text and pulls the
        # query's vector toward dates: the subject is also searched without it, and what
        # that finds from then is read ("¿con qué podcaster se asoció Perplexity en agosto…").
        undated = re.sub(r"\w+", lambda m: "" if fold(m.group()) in said else m.group(), question)
        ids += [
            h.article_id
            for h in core.searcher.search(undated, limit=limit_articles)
            if h.article_id not in ids and when.fits(h.published_at, set())
        ][:DATED_HITS]
        # "según The Batch de finales de julio de 2024": that source's posts of then, which
        # the words of a weekly's headline list rarely bring up
        ids += [aid for aid in _of_source_then(core, question, when) if aid not in ids]
    # "which stable Windsurf release (not Next)": no article whose title says it
    excluded = {fold(w) for w in _EXCLUDED.findall(question)}
    # "¿qué nombre le pusieron a…?": the words that ask for a name are not what it is about
    framing = {fold(w) for m in _NAME_FRAME.finditer(question) for w in tokens(m.group())}
    concepts = _concepts(core, question, said | excluded | framing, lang)
    if not ids or not (concepts or when):
        return _not_found(question, lang)
    rank = {aid: i for i, aid in enumerate(ids)}
    lower_runs = _lower_runs(question, concepts)  # "bmi research": a name, if stored as one
    with Session(core.engine) as session:
        articles = {
            a.id: a
            for a in session.execute(select(Article).where(col(Article.id).in_(ids))).scalars()
        }
        passages: list[tuple[int, int, str]] = [
            (int(pid), int(aid), text)
            for pid, aid, text in session.execute(
                select(Passage.id, Passage.article_id, Passage.text)
                .where(col(Passage.article_id).in_(ids))
                .order_by(col(Passage.id))
            ).all()
        ]
        figures = (
            session.execute(select(Figure).where(col(Figure.article_id).in_(ids))).scalars().all()
        )
        # Only a question with a lower-case word (or run of them) that may be a name needs
        # the stored names.
        entities = (
            {
                name.lower()
                for name in session.execute(
                    select(Entity.name)
                    .join(ArticleEntity, col(ArticleEntity.entity_id) == col(Entity.id))
                    .where(col(ArticleEntity.article_id).in_(ids))
                ).scalars()
            }
            if any(map(_may_be_a_name, concepts)) or lower_runs
            else set()
        )
    # "en How to Fund a Startup, …", "in his Life is Short essay": a post the asker names by
    # its title is the one asked about (``eligible``), which each of its sentences names
    titled = {
        aid: _terms(a.title or "") for aid, a in articles.items() if _names_title(question, a.title)
    }
    sentences = _sentences(articles, passages)
    # words the text read writes in lower case: a sentence's capitalised first word among
    # them is no name ("Señaló que…")
    common = {w for s in sentences for w in re.findall(r"\w+", s.text) if w.islower()}
    named_by_use = _names_by_use(concepts, entities, lower_runs)
    wants_quantity = _wants_quantity(question)
    wants_person = bool(_WHO.search(_THE_WHO.sub(" ", question)))
    wants_thing = not wants_quantity and (
        _asks_for_a_thing(question)
        or bool(_WHERE.search(question))
        or bool(_ASKS_NAME.search(question))
    )
    dense = _dense_scores(core, question, articles, passages)

    names = [c for c in concepts if c.is_name]
    dense_weight, rank_weight = (
        (DENSE_WEIGHT, RANK_WEIGHT)
        if any(not c.is_name and not c.optional for c in concepts)
        else (VAGUE_DENSE_WEIGHT, VAGUE_RANK_WEIGHT)
    )
    # What the asker gives to pick the event must be in the cited article: the version of a
    # name ("Mistral Small 4"), the round ("la serie B"), an amount ("its $750M round").
    versions = _versions(question) | _series(question)
    content = [c for c in concepts if not c.is_name]
    # "¿cómo se llama la release 1.12 de Dagster?", "¿qué modelo de Claude se puede usar en
    # GitHub Copilot?": the kind asked for aside, the names are what it asks about
    if all(c.optional for c in content) and (
        versions or not content or _acronym_asked(question) or len(names) >= 2
    ):
        content += names
    if not content:
        return _not_found(question, lang)
    source_terms: dict[int, set[str]] = {
        aid: _terms(f"{a.source_name} {_host(a.url)}") for aid, a in articles.items() if aid
    }  # a company's own feed rarely names the company: its source does
    article_terms = {aid: set(terms) for aid, terms in source_terms.items()}
    article_words: dict[int, set[str]] = {}
    numbered = _numbered_names(core, question)  # "evo 2": said together, not any "2"
    article_numbered: dict[int, set[int]] = {}
    answers_it = _Evidence(
        core, question, lang, concepts, articles, wants_quantity, wants_person, common
    )
    amounts = answers_it.values
    article_numbers: dict[int, set[str]] = {}
    article_amounts: dict[int, list[float]] = {}
    for s in sentences:
        article_terms.setdefault(s.article_id, set()).update(_terms(s.text))
        if when is not None:
            article_words.setdefault(s.article_id, set()).update(map(fold, tokens(s.text)))
        if versions:
            article_numbers.setdefault(s.article_id, set()).update(
                _numbers(_AMOUNT.sub(" ", s.text)) | _series(s.text) | _release_lines(s.text)
            )
        for i, pattern in enumerate(numbered):
            if pattern.search(s.text):
                article_numbered.setdefault(s.article_id, set()).add(i)
        if amounts and _HAS_NUMBER.search(s.text):
            found = extract_figures(s.text, articles[s.article_id].lang, core.gazetteer)
            article_amounts.setdefault(s.article_id, []).extend(f.value for f in found)
    # "VSCodium" written "VS Codium", "OpenVSX" as "Open VSX": the name's parts, spaced
    spaced = [(c, joined) for c in names if (joined := _spaced(c.word)) is not None]
    spelled = {
        (s.article_id, id(c)) for c, joined in spaced for s in sentences if joined.search(s.text)
    }
    said_in = {  # (language, quoted word) where an article read in that language says it
        (articles[aid].lang, id(c))
        for aid, terms in article_terms.items()
        for c in named_by_use
        if c.quoted and c.named_in(terms)
    }
    eligible = {
        aid
        for aid, terms in article_terms.items()
        if all(
            c.named_in(terms)
            or c.country
            or (aid, id(c)) in spelled
            or (c.unlinked and _other_language(articles[aid].lang, lang))
            for c in names
        )
        and all(
            # words quoted in one language, that no article read in the other says, are the
            # asker's rendering of one in the other ("qué podcaster 'conoció' a Steve Jobs"
            # of "Joe Rogan Meets Steve Jobs"); "el ensayo 'resourceful'" is its own words
            c.named_in(terms)
            or (
                c.quoted
                and (articles[aid].lang, id(c)) not in said_in
                and _other_language(articles[aid].lang, lang)
            )
            for c in named_by_use
        )
        and (when is None or when.fits(articles[aid].published_at, article_words.get(aid, set())))
        and versions <= article_numbers.get(aid, set())
        and len(article_numbered.get(aid, ())) == len(numbered)
        and not excluded & set(map(fold, tokens(articles[aid].title or "")))
        and all(
            any(abs(a - v) <= 0.01 * abs(v) for a in article_amounts.get(aid, [])) for v in amounts
        )
        and (not titled or aid in titled)
    }
    given = answers_it.given  # "GPT-5.6", "its $750 million round": the asker's own numbers
    with_number = {
        (s.article_id, s.index)
        for s in sentences
        if answers_it.figure.search(_without(s.text, given)) or answers_it.one(s.text)
    }
    figure_sentences = {(f.article_id, f.sentence) for f in figures}

    strong = core.searcher.min_dense_score + DENSE_VOUCH_MARGIN
    by_index = {(s.article_id, s.index): s for s in sentences}
    new_names = (  # where each sentence names someone or something the question does not
        {
            (s.article_id, s.index): starts
            for s in sentences
            if s.article_id in eligible and (starts := _new_names(core, s.text, question, common))
        }
        if wants_person or wants_thing
        else {}
    )
    naming = set(new_names)
    # "where…", "in which city…": of the sentences that name something, those that say a
    # place ("autoexiliado en Irlanda", "provenían de Nuevo Laredo" for "shipped from").
    placed = (
        {
            here
            for here, starts in new_names.items()
            if _names_a_place(by_index[here].text, starts, question)
        }
        if _PLACE_ASKED.search(question)
        else set()
    )
    wants_date = bool(_ASKS_DATE.search(question)) and not (wants_person or wants_thing)
    dated = (
        {(s.article_id, s.index) for s in sentences if _DATED.search(_without(s.text, given))}
        if wants_date
        else set()
    )
    scored: list[tuple[float, float, _Sentence]] = []
    says_kind: set[tuple[int, int]] = set()
    says_count: dict[tuple[int, int], int] = {}  # how many of the question's concepts each says
    covers: list[tuple[_Sentence, set[str], set[int]]] = []
    for s in (s for s in sentences if s.article_id in eligible):
        terms = _terms(s.text) | source_terms[s.article_id]
        terms |= titled.get(s.article_id, set())  # a named title: every sentence says it
        covers.append(
            (s, terms, {id(c) for c in concepts if c.matched_loosely(terms, _prefixes(terms))})
        )
    weight = _rarity(concepts, [covered for _s, _t, covered in covers])
    total_weight = sum(weight.values())
    covered_at = {(s.article_id, s.index): covered for s, _t, covered in covers}
    asked_last = _asked_last(question, content)
    # the untranslated words an article read in the other language says: its own words
    theirs = {
        id(c)
        for c in content
        if c.unlinked
        and any(
            c.matched(terms)
            for aid, terms in article_terms.items()
            if aid in articles and _other_language(articles[aid].lang, lang)
        )
    }
    with_title: set[tuple[int, int]] = set()
    for s, terms, covered in covers:
        vouched = dense.get(s.passage_id, 0.0) >= strong
        judged, judged_content = concepts, content
        if articles[s.article_id].lang != lang:
            judged, judged_content = _readable(concepts, content, covered, vouched, theirs)
        specific = _coverage(judged_content, covered)
        if (
            articles[s.article_id].lang != lang
            and rank[s.article_id] < TOP_ACROSS
            and specific >= MIN_COVERAGE_ACROSS
        ):
            specific = max(specific, MIN_COVERAGE)
        overall = _coverage(judged, covered)
        says = sum(weight[c] for c in covered) / total_weight
        says_count[(s.article_id, s.index)] = len(covered)
        coverage = min(specific, overall)  # the bar: names alone never clear it
        if coverage < MIN_COVERAGE and specific > 0 and vouched:
            # Across languages the lexicon cannot link every paraphrase; a passage the model
            # puts very close to the question vouches for the rest of its content.
            coverage = MIN_COVERAGE
        here = (s.article_id, s.index)
        # A sentence that names someone ("who", "which airline") often leaves what happened
        # to the title: "Indignación en Colombia por sus aficionados en el Mundial" /
        # "Avianca, la principal aerolínea del país, anunció su despido". Saying one of the
        # question's words itself, it is read (and quoted) with its title.
        # So is one that says what the question's last clause asks about and the title does
        # not: "<the post's title, restated>, what did they keep intact?" / "How we preserved
        # private network boundaries…". Not for a figure: "$7 for 8…" is no price per page.
        if (
            coverage < MIN_COVERAGE
            and s.index >= 0
            and (
                (here in naming and any(id(c) in covered for c in content if not c.optional))
                or (
                    not wants_quantity
                    and bool(asked_last & (covered - covered_at.get((s.article_id, -1), set())))
                )
            )
        ):
            both = covered | covered_at.get((s.article_id, -1), set())
            j, jc = concepts, content
            if articles[s.article_id].lang != lang:
                j, jc = _readable(concepts, content, both, vouched, theirs)
            if min(_coverage(jc, both), _coverage(j, both)) >= MIN_COVERAGE:
                coverage = MIN_COVERAGE
                with_title.add(here)
        if wants_quantity and not any((s.article_id, s.index + d) in with_number for d in _NEAR):
            continue  # "how many" is not answered by a sentence without a number near it
        score = (
            says  # what the sentence says of the question, the optional kind included
            + dense_weight * dense.get(s.passage_id, 0.0)
            + rank_weight / (1 + rank[s.article_id])
            + 0.1 / (2 + s.index)  # news puts the key fact first: title, then the lede
        )
        if wants_quantity and (s.article_id, s.text) in figure_sentences:
            score += 0.25
        if any(c.optional and id(c) in covered and not c.document for c in concepts):
            score += ANSWER_KIND_BONUS  # "which countries": the sentence that names them
            if any(c.optional and c.matched(terms) for c in concepts):  # "revisado" is no "revista"
                says_kind.add((s.article_id, s.index))
        if (s.article_id, s.index) in naming:
            score += ANSWER_KIND_BONUS  # "who", "which company": the sentence that names one
            if (s.article_id, s.index) in says_kind:
                score += ANSWER_KIND_BONUS  # "…otros países: Singapur, Malasia…" names them
        if (s.article_id, s.index) in placed:
            score += ANSWER_KIND_BONUS  # "where": the sentence that says a place
        if (s.article_id, s.index) in dated:
            score += ANSWER_KIND_BONUS  # "when": the sentence that says a date
        scored.append((score, coverage, s))
    scored.sort(key=lambda x: x[0], reverse=True)

    # The quote a sentence would be (joined with the neighbour that holds the figure or the
    # name asked for) must answer the question before it can be chosen: the best sentence
    # that does, not the best two of an article that do not.
    holding = with_number if wants_quantity else set()
    shaped: set[tuple[int, int]] = set()
    # "which version…", "what hashtag…": the line that gives the number or the tag
    shape = next((e for kind, e in _SHAPES if kind.search(question)), None)
    if answers_it.acronym:  # "what's FOI short for": the line that spells it out
        shape = None
        holding = {
            (s.article_id, s.index) for s in sentences if _expands(answers_it.acronym, s.text)
        }
    elif shape is not None:  # the asker's own "SWE-1" is no version that answers
        holding = shaped = {
            (s.article_id, s.index) for s in sentences if shape.search(_without(s.text, given))
        }
    elif placed and not wants_quantity:
        holding = placed
    elif (wants_person or wants_thing) and not wants_quantity:
        holding = naming
    elif wants_date and not wants_quantity:
        holding = dated
    candidates = []
    for score, coverage, s in scored:
        if coverage >= MIN_COVERAGE:
            quote = (
                _with_neighbour(
                    s, by_index, holding, lede=not wants_quantity, kind=says_kind & holding
                )
                if holding
                else s
            )
            far = holding is naming or holding is placed or holding is shaped
            if quote is s and far and (s.article_id, s.index) not in holding:
                near = holding if holding is shaped else naming
                quote = _with_far(s, by_index, near, says_count, says_kind) or s
            if quote is s and (s.article_id, s.index) in with_title:
                title = by_index[(s.article_id, -1)]
                quote = _Sentence(s.article_id, s.index, f"{title.text} … {s.text}", s.passage_id)
            if shape is not None and not shape.search(_without(quote.text, given)):
                continue  # "which versions of Windows": a quote without a version says none
            if answers_it(quote):
                candidates.append((score, coverage, quote))
            elif quote is s and s.index < 0 and holding and not wants_quantity:
                # A title may name things ("Stagewise Reinforcement Learning…") and still
                # not answer; its lede may ("Elliott et al." for "who wrote it").
                with_lede = _title_with_lede(s, by_index, holding - {(s.article_id, -1)})
                if with_lede is not None and answers_it(with_lede):
                    candidates.append((score, coverage, with_lede))
    chosen = _distinct(
        [
            _with_rest(
                _with_short_lede(_with_antecedent(s, by_index), by_index),
                by_index,
                covered_at,
                content,
            )
            for s in _choose(candidates, len(ids))
        ]
    )
    if not chosen:
        return _not_found(question, lang)
    names_es = spanish_names(core.settings.gazetteer_path)
    return _compose(core, question, lang, chosen, articles, figures, names_es, wants_quantity)


#: The languages the lexicon links: an article in another is read by its names and numbers.
_LINKED = frozenset({"es", "en"})


def _other_language(article_lang: str, lang: str) -> bool:
    """Whether an article is in the other language of the pair the lexicon links: an English
    capitalised word nothing translates ("Greek") may be a word Spanish writes in lower case,
    but a German article, which capitalises its nouns too, is no excuse for "Tavus"."""
    return article_lang != lang and article_lang in _LINKED


def _names_by_use(
    concepts: list[_Concept], entities: set[str], runs: Sequence[list[_Concept]]
) -> list[_Concept]:
    """The untranslated words typed in lower case that are names of the articles read
    ("langdock" for the stored entity "Langdock", "litert" for "LiteRT"; not "funding", which
    a title capitalises), the lower-case runs of words that are ("bmi research" for "BMI
    Research") and the words the asker quotes ('resourceful'): the cited article must say
    them, as it must say any name, and they still count as the question's content."""
    named = [c for c in concepts if c.quoted or (_may_be_a_name(c) and c.word in entities)]
    for run in runs:  # from ``_lower_runs``
        # "case study", one lexicon term, is words that a title ("A Case Study in…") capitalised
        term = set(run[0].phrases).intersection(*(c.phrases for c in run[1:]))
        if not term and " ".join(c.word for c in run) in entities:
            named += [c for c in run if c not in named]
    return named


def _lower_runs(question: str, concepts: list[_Concept]) -> list[list[_Concept]]:
    """Runs of two or three content words typed in lower case, one after the other."""
    typed = " " + " ".join(re.findall(r"\w+", question)) + " "
    runs = [concepts[i : i + n] for n in (2, 3) for i in range(len(concepts) - n + 1)]
    return [
        run
        for run in runs
        if all(not c.is_name and c.word.islower() for c in run)
        and f" {' '.join(c.word for c in run)} " in typed
    ]


def _may_be_a_name(c: _Concept) -> bool:
    """An untranslated word typed in lower case: a name if the articles store it as one."""
    return not c.is_name and c.unlinked and c.word.islower()


def _sentences(
    articles: Mapping[int | None, Article], passages: Sequence[tuple[int, int, str]]
) -> list[_Sentence]:
    """Each article's title, then its body sentences in order (titles carry facts too)."""
    out: list[_Sentence] = []
    counters: dict[int, int] = {}
    first_passage: dict[int, int] = {}
    for pid, aid, text in passages:
        first_passage.setdefault(aid, pid)
        for sentence in split_sentences(text):
            index = counters.get(aid, 0)
            counters[aid] = index + 1
            out.append(_Sentence(aid, index, sentence, pid))
    for key, article in articles.items():
        if key is not None and article.title:
            out.append(_Sentence(key, -1, article.title.strip(), first_passage.get(key)))
    return out


def _dense_scores(
    core: Core,
    question: str,
    articles: Mapping[int | None, Article],
    passages: Sequence[tuple[int, int, str]],
) -> dict[int | None, float]:
    """Cosine of the question with each passage, where the model understands its language."""
    allowed = core.searcher.dense_languages
    wanted = [
        pid for pid, aid, _text in passages if allowed is None or articles[aid].lang in allowed
    ]
    # keyed as the sentences look them up (a passage id, or None)
    return {pid: cosine for pid, cosine in _cosines(core, question, wanted).items()}


def _cosines(core: Core, question: str, passage_ids: list[int]) -> dict[int, float]:
    """The model's cosine of the question with each of ``passage_ids`` that has a vector."""
    if not passage_ids:
        return {}
    qvec = core.searcher.query_vector(question)
    return {pid: float(np.dot(v, qvec)) for pid, v in core.vectors.vectors_of(passage_ids).items()}


#: A question that asks for a place: "where", "¿dónde?", "in which city", "¿en qué país?".
_PLACE_ASKED = re.compile(
    r"\b(?:where|d[oó]nde|(?:in|at|en) (?:which|what|qu[eé]) (?:\w+ )?(?:cit(?:y|ies)|towns?|"
    r"countr(?:y|ies)|states?|places?|venues?|ciudad(?:es)?|pa[ií]s(?:es)?|estados?|lugar(?:es)?|"
    r"sitios?|sedes?)|(?:which|what|qu[eé]) (?:cit(?:y|ies)|towns?|countr(?:y|ies)|ciudad(?:es)?|"
    r"pa[ií]s(?:es)?))\b",
    re.IGNORECASE,
)
#: "…from?", "¿de dónde…?": the place something comes from is said after "de" / "from" too.
_FROM_ASKED = re.compile(r"\b(?:from|de d[oó]nde|desde d[oó]nde)\b", re.IGNORECASE)
#: A capitalised name after a preposition of place, through a common noun ("en la sede de
#: los Talleres Gráficos", "en el aula Pablo VI", "at the University of Virginia").
_AT = r"(?:in|at|near|en|cerca de)"
_FROM = r"(?:from|de|desde|del)"
_ARTICLE = r"(?:(?:el|la|los|las|the)\s+)?"
_PLACE_AFTER = rf"\s+{_ARTICLE}(?:[a-záéíóúñ]+\s+(?:(?:de|of|del)\s+{_ARTICLE})?)?(?=[A-ZÁÉÍÓÚÑ])"
_AT_PLACE = re.compile(rf"\b{_AT}{_PLACE_AFTER}")
_FROM_PLACE = re.compile(rf"\b(?:{_AT}|{_FROM}){_PLACE_AFTER}")


def _names_a_place(text: str, new_names: Sequence[int], question: str) -> bool:
    """Whether ``text`` puts one of its ``new_names`` (where names the question does not
    give start) after a preposition of place."""
    after = _FROM_PLACE if _FROM_ASKED.search(question) else _AT_PLACE
    return any(m.end() in new_names for m in after.finditer(text))


def _new_name(core: Core, text: str, question: str, common: AbstractSet[str] = frozenset()) -> bool:
    """Whether ``text`` names someone or something the question does not: see ``_new_names``."""
    return bool(_new_names(core, text, question, common))


#: A capitalised word with a verb's or an adverb's ending that opens a sentence names no one:
#: "Connecting the digital and physical worlds…", "Buscando…", "Finalmente…".
_INFLECTED = re.compile(r"[A-ZÁÉÍÓÚÑ][a-záéíóúñ]+(?:ing|ed|ly|ando|iendo|mente)")
#: Where a sentence (or a quote joined from several) starts, so its first word is capitalised.
_OPENING = re.compile(r"(?:^|[.:;!?…—]\s*|[\"'«“(¿¡]\s*)$")


def _new_names(
    core: Core, text: str, question: str, common: AbstractSet[str] = frozenset()
) -> list[int]:
    """Where ``text`` names someone or something the question does not (offsets): "Héctor
    Socas", "Beyoncé", "OpenAI". A run of capitalised words is a name when the gazetteer
    knows it or at least half its words are no word the lexicon knows ("Time Inc" is a
    name, "Chief Product Officer" a title); none of its words may be the question's ("Mike
    Krieger joins" names no one new). A sentence's first word is held to the same test
    ("SpaceX acquires xAI"), and is no name when it stands alone and the text read writes it
    in lower case elsewhere (``common``): "Señaló que…", "Modernizing defense"."""
    asked, units = _question_words(question)
    known = core.searcher.expander.lexicon.expand
    found = []
    for match in _NAME_RUN.finditer(text):
        if (
            " " not in match.group()
            and (match.group().lower() in common or _INFLECTED.fullmatch(match.group()))
            and _OPENING.search(text, 0, match.start())
            and not core.gazetteer.find(match.group())
        ):
            continue
        # Title Case runs on: "Groq Names Simon Edwards Chief Financial Officer". The
        # question's words split it; a lone word beside one of them is that name's own
        # ("Pelado Almeyda"), unless the gazetteer knows it ("NVIDIA Nemotron") or it is an
        # acronym no lexicon line has ("Mistral OCR").
        run = [w for w in match.group().split() if not is_stopword(w)]
        cuts = [i for i, w in enumerate(run) if _asked_word(fold(w), asked, units)]
        for words in _at_possessive(
            [
                run[start + 1 : end]
                for start, end in zip([-1, *cuts], [*cuts, len(run)], strict=True)
            ]
        ):
            if not words:
                continue
            if (
                len(words) == 1
                and len(words) < len(run)
                and not core.gazetteer.find(words[0])
                and not (words[0].isupper() and len(words[0]) > 1 and not known(words[0]))
            ):
                continue  # "Pelado Almeyda"; an acronym is a product's own ("Mistral OCR")
            if core.gazetteer.find(" ".join(words)) or 2 * sum(not known(w) for w in words) >= len(
                words
            ):
                found.append(match.start() + match.group().find(words[0]))
    return found


def _at_possessive(runs: list[list[str]]) -> list[list[str]]:
    """Runs split after an owner: "Arc Institute's Next-Generation" is "Arc Institute's"
    and "Next-Generation"; what owns something is judged as a name on its own."""
    split = []
    for words in runs:
        owner = next((i for i, w in enumerate(words[:-1]) if w.endswith(("'s", "’s"))), None)
        split += [words] if owner is None else [words[: owner + 1], words[owner + 1 :]]
    return split


@lru_cache(maxsize=64)
def _question_words(question: str) -> tuple[frozenset[str], frozenset[str]]:
    """The question's words, and its words with their hyphens ("bespoke-minicheck"), folded:
    read once per question, not once per sentence tested for a new name."""
    return (
        frozenset(fold(w) for w in re.findall(r"\w+", question)),
        frozenset(fold(w) for w in re.findall(r"\w[\w-]*", question)),
    )


def _asked_word(word: str, asked: AbstractSet[str], units: AbstractSet[str]) -> bool:
    """Whether a capitalised ``word`` (folded) is one the question says: "GPT-5" of
    "gpt-5.2", "Claude" of "Claude's". The head of a hyphenated name is not ("Bespoke" of
    "Bespoke-Minicheck" names "Bespoke Labs", its maker)."""
    if word not in units and any(u.startswith(f"{word}-") for u in units):
        return False
    return set(re.findall(r"\w+", word)) <= asked


#: How far (characters) the name that holds a role may sit from the role's word: "Simon
#: Edwards Chief Financial Officer", "Julen Lopetegui es el nuevo DT del Real Madrid".
_ROLE_REACH = 60


def _holds_role(
    core: Core,
    text: str,
    question: str,
    role: list[_Concept],
    common: AbstractSet[str] = frozenset(),
) -> bool:
    """Whether a new name sits beside the role asked for ("who is the new Chivas coach" is
    not answered by a name met earlier in a sentence that ends on the old coach's post)."""
    words = list(re.finditer(r"\w+", text))
    at = []
    for i, word in enumerate(words):
        window = text[word.start() : words[min(i + 3, len(words) - 1)].end()]
        if all(c.matched_loosely(*_terms_and_prefixes(window)) for c in role):
            at.append(word.start())
    # "el entrenador del Guadalajara", "coach of Chivas": a name after "of" is where the
    # role is held, not who holds it
    found = [
        n for n in _new_names(core, text, question, common) if not _OF_BEFORE.search(text, 0, n)
    ]
    return any(abs(n - r) <= _ROLE_REACH for n in found for r in at)


_OF_BEFORE = re.compile(rf"\b(?:de|del|of|at|for)\s+{_ARTICLE}$", re.IGNORECASE)


def _choose(scored: list[tuple[float, float, _Sentence]], articles: int) -> list[_Sentence]:
    """Up to three sentences that clear the bar, preferring a second article to a second
    sentence of the first when it scores as well."""
    chosen: list[_Sentence] = []
    per_article: dict[int, int] = {}
    for score, coverage, s in scored:
        if coverage < MIN_COVERAGE or len(chosen) >= MAX_CITATIONS:
            continue
        aid = s.article_id
        if per_article.get(aid, 0) >= 2 or any(c.text == s.text for c in chosen):
            continue
        if per_article.get(aid) and len(per_article) < articles and chosen:
            others = [
                x for x in scored if x[2].article_id not in per_article and x[1] >= MIN_COVERAGE
            ]
            if others and others[0][0] >= score:
                continue
        chosen.append(s)
        per_article[aid] = per_article.get(aid, 0) + 1
    return chosen


def _with_neighbour(
    s: _Sentence,
    by_index: Mapping[tuple[int, int], _Sentence],
    holding: set[tuple[int, int]],
    *,
    lede: bool = False,
    kind: AbstractSet[tuple[int, int]] = frozenset(),
) -> _Sentence:
    """A sentence whose figure (or, for "who", whose name) is a sentence or two away is
    quoted with that sentence: ``holding`` are the sentences that have it. With ``lede``, a
    title is quoted with the first of the lede's three sentences that names someone: the
    paper "Towards Spectroscopy…" and its "Gordon et al.". ``kind``: the holding sentences
    that also say the kind of thing asked for ("which journal": "…en la revista Environmental
    Research Letters"); one of them nearby is preferred to a sentence that only names."""
    here = (s.article_id, s.index)
    if s.index >= 0 and kind and here not in kind:
        joined = _joined(s, by_index, kind)
        if joined is not None:
            return joined
    if here in holding:
        return s
    if s.index < 0:
        if not lede:  # a figure: only the lede's first sentence tells the title's story
            return _title_with_lede(s, by_index, holding & {(s.article_id, 0)}) or s
        return _title_with_lede(s, by_index, holding) or s
    joined = _joined(s, by_index, holding)
    if joined is None and lede and s.index <= 1 and (s.article_id, -1) in holding:
        # The lede says what, the title names it: "Devstral" / "Introducing the best
        # open-source model for coding agents."
        title = by_index[(s.article_id, -1)].text
        return _Sentence(s.article_id, s.index, f"{title} — {s.text}", s.passage_id)
    return joined or s


def _title_with_lede(
    title: _Sentence, by_index: Mapping[tuple[int, int], _Sentence], holding: set[tuple[int, int]]
) -> _Sentence | None:
    """The title quoted with the first of the lede's three sentences in ``holding``."""
    for index in range(3):
        if (title.article_id, index) in holding:
            named = by_index[(title.article_id, index)].text
            return _Sentence(title.article_id, -1, f"{title.text} — {named}", title.passage_id)
    return None


def _rarity(concepts: Sequence[_Concept], covers: Sequence[set[int]]) -> dict[int, float]:
    """Each concept's weight in ordering sentences: the rarer among the sentences read, the
    more a sentence that says it is about what is asked ("Kim" is in every sentence of the
    article, "esposa" in the one that names her)."""
    n = len(covers)
    return {
        id(c): math.log((n + 1) / (0.5 + sum(id(c) in covered for covered in covers)))
        for c in concepts
    }


def _with_far(
    s: _Sentence,
    by_index: Mapping[tuple[int, int], _Sentence],
    holding: AbstractSet[tuple[int, int]],
    said: Mapping[tuple[int, int], int],
    kind: AbstractSet[tuple[int, int]],
) -> _Sentence | None:
    """``s`` with the sentence of its article that names what is asked when none is near:
    of those, the one that says most of the question (the kind asked for counts), then the
    nearest. News gives the event first and who further down: the study's lede, then
    "…said co-author Alexandre Weksler" five sentences on."""
    best: tuple[int, int, _Sentence] | None = None
    for aid, index in holding:
        if aid != s.article_id or index == s.index:
            continue
        says = said.get((aid, index), 0) + ((aid, index) in kind)
        if says and (best is None or (says, -abs(index - s.index)) > best[:2]):
            best = (says, -abs(index - s.index), by_index[(aid, index)])
    if best is None:
        return None
    other = best[2]
    first, second = (s, other) if other.index > s.index else (other, s)
    return _Sentence(s.article_id, s.index, f"{first.text} … {second.text}", s.passage_id)


def _joined(
    s: _Sentence,
    by_index: Mapping[tuple[int, int], _Sentence],
    holding: AbstractSet[tuple[int, int]],
) -> _Sentence | None:
    """``s`` with the nearest body sentence of ``holding`` a sentence or two away, in order."""
    for d in _NEAR[1:]:
        other = by_index.get((s.article_id, s.index + d))
        if other is None or other.index < 0 or (s.article_id, other.index) not in holding:
            continue
        gap = " " if abs(d) == 1 else " … "
        first, second = (s, other) if d > 0 else (other, s)
        return _Sentence(s.article_id, s.index, f"{first.text}{gap}{second.text}", s.passage_id)
    return None


#: A dotted number ("4.1") right after a capitalised word: that name's version ("Claude Opus
#: 4.1", "Sonnet 4.5"), not a score or a count; "Otto 26.000" (thousands) is a count.
_NAME_VERSION = re.compile(r"\d+(?:\.\d+)+(?![\d%])(?<!\d\.\d{3})")
_AFTER_A_NAME = re.compile(r"\b[A-Z][\w-]*\s$")


def _a_names_version(text: str, at: int) -> bool:
    """Whether the digit at ``at`` is in such a version (its "1" as much as its "4")."""
    start = at
    while start > 0 and (
        text[start - 1].isdigit()
        or (text[start - 1] in ".," and text[start - 2 : start - 1].isdigit())
    ):
        start -= 1
    return bool(_NAME_VERSION.match(text, start)) and bool(_AFTER_A_NAME.search(text, 0, start))


class _Evidence:
    """Whether a quote answers what the question asks, beyond covering its words: the kind
    of figure asked for, the thing a "how many" counts, the role a "who is the N of X"
    names, and for "who" a name the question does not already give."""

    def __init__(
        self,
        core: Core,
        question: str,
        lang: str,
        concepts: list[_Concept],
        articles: Mapping[int | None, Article],
        wants_quantity: bool,
        wants_person: bool,
        common: AbstractSet[str] = frozenset(),
    ) -> None:
        self.core, self.question, self.articles = core, question, articles
        self.common = common
        self.given = _Given.of(question)
        self.figure = _figure_number(question)
        # "its $750 million round": a figure the asker already has is no evidence, however
        # it is written ("los 1.700 millones de euros" is "1.7B€")
        given = extract_figures(question, lang, core.gazetteer)
        self.values = [f.value for f in given]
        # The kind of figure asked for, in the question less the figures it gives: "¿con qué
        # fundación firmó un acuerdo de 200 millones de dólares?" asks for no sum, "what's X
        # valued at after the $88M round?" for a valuation.
        rest = question
        for f in given:
            rest = rest.replace(f.text, " ")
        # "who claimed Anaya is under a money laundering probe?", "where was he when he said
        # masses are never paid for?" ask for no sum
        asks_figure = wants_quantity or not (wants_person or _PLACE_ASKED.search(rest))
        self.asked = [e for kind, e in _ASKED if asks_figure and kind.search(rest)]
        # "how much did X raise": the round's amount, not the valuation it was raised at
        self.valuation_asked = bool(_VALUATION_ASKED.search(rest))
        if (
            asks_figure
            and _PRICE_ASKED[0].search(rest)
            and (wants_quantity or not _asks_for_a_thing(rest))
        ):
            self.asked.append(_PRICE_ASKED[1])
        self.names = [c for c in concepts if c.is_name]
        # a model's size is its own: "SWE-1.5's context window" is not in a sentence that
        # gives Sonnet 4.5's, though the changelog names both
        self.owners = (
            [
                c
                for c in self.names
                if any(w[:1].isdigit() for w in c.stems.union(*map(set, c.phrases)))
            ]
            if _CONTEXT_SIZE in self.asked
            else []
        )
        self.counted = _counted(core, question)
        self.role = _role(question, concepts)  # "who is the CEO of X": one that says "CEO"
        self.deed = [] if self.role or not wants_person else _deed(question, concepts)
        self.lang = lang
        self.acronym = _acronym_asked(question)  # "what's FOI short for": its expansion
        self.license = bool(_LICENSE_ASKED.search(question))  # "under what license": one named
        self.hashtag = bool(_HASHTAG_ASKED.search(question))  # "what hashtag": the tag itself
        # "who", or "which universities": a quote that names someone or something new
        self.person = not wants_quantity and (wants_person or bool(_NAMED_KIND.search(question)))
        # a figure of some kind is asked for; "part VI" gives its instalment without a digit,
        # "the TypeScript v3 client" its version with one that follows a letter
        self.quantity = wants_quantity or any(e not in (_PART, _VERSION_NUMBER) for e in self.asked)
        # "al activar dos ajustes" gives the English post's "two settings" too
        self.given_words = {
            said
            for w in re.findall(rf"\b{_NUMBER_WORD}\b", question, re.IGNORECASE)
            for said in (fold(w), _SAME_NUMBER.get(fold(w), ""))
            if said
        }

    def _figures_text(self, s: _Sentence) -> str:
        text = _without(s.text, self.given)
        for f in extract_figures(text, self.articles[s.article_id].lang, self.core.gazetteer):
            if any(abs(f.value - v) <= 0.01 * abs(v) for v in self.values) or (
                not self.valuation_asked and _is_valuation(text, f.text)
            ):
                text = text.replace(f.text, " ")
        return text

    def one(self, text: str) -> bool:
        """Whether ``text`` counts one of what "how many" asks about: "One API call",
        "one shard per tenant", "una sola partida"."""
        for match in _ONE.finditer(text) if self.counted else ():
            terms = _terms(match.group())
            if any(c.matched_loosely(terms, _prefixes(terms)) for c in self.counted):
                return True
        return False

    def _gives_number(self, text: str) -> bool:
        """Whether ``text`` has a number the question does not give ("those two settings")."""
        rest = _without(text, self.given)
        return self.one(text) or any(self._a_figure(rest, m) for m in self.figure.finditer(rest))

    def _a_figure(self, rest: str, m: re.Match[str]) -> bool:
        """A digit, unless a name's version ("Opus 4.1"); a number word, unless the asker's
        own ("dos" / "two") or an order of magnitude ("millions")."""
        if m.group()[:1].isdigit():
            return not _a_names_version(rest, m.start())
        return not (fold(m.group()) in self.given_words or _VAGUE.fullmatch(m.group()))

    def __call__(self, s: _Sentence) -> bool:
        if self.acronym:
            return _expands(self.acronym, s.text)
        if self.license and not _LICENSE.search(s.text):
            return False
        if self.hashtag and not _HASHTAG.search(s.text):
            return False
        if self.quantity and not self._gives_number(s.text):
            return False  # a figure is asked for: the quote must give one
        if self.asked and not all(e.search(self._figures_text(s)) for e in self.asked):
            return False
        if self.owners and not any(  # the size and its model in one sentence of the quote
            _CONTEXT_SIZE.search(part) and all(c.named_in(_terms(part)) for c in self.owners)
            for part in _JOINS.split(s.text)
        ):
            return False
        # No lexicon links the question's words to a third language ("3 Ebenen", "– mit
        # Michael Reichel" in a German podcast's title): there the number or the new name
        # asked for must still be given, but what it counts or the role it holds cannot be read.
        unread = self.articles[s.article_id].lang not in _LINKED
        if self.counted and not (  # a number counts a thing of its own sentence
            unread
            or self.one(s.text)
            or any(
                _counts(_without(part), self.counted, self.names) for part in _JOINS.split(s.text)
            )
        ):
            return False
        if (
            self.role
            and not unread
            and not _holds_role(self.core, s.text, self.question, self.role, self.common)
        ):
            return False
        if self.deed and not (
            self.deed[0].matched_loosely(*_terms_and_prefixes(s.text))
            or (self.deed[0].unlinked and self.articles[s.article_id].lang != self.lang)
            or unread
            or (_writes(self.deed[0]) and bool(_BYLINE.search(s.text)))
        ):
            return False
        return not self.person or _new_name(self.core, s.text, self.question, self.common)


#: "What license is X released under?", "¿con qué licencia…?": the quote must name one.
_LICENSE_ASKED = re.compile(
    r"\b(?:what|which|qu[eé]|cu[aá]l)\b.{0,30}\b(?:licen[cs]e|licencia)s?\b|"
    r"\b(?:licen[cs]e|licencia)\b.{0,20}\b(?:what|which|qu[eé]|cu[aá]l)\b",
    re.IGNORECASE,
)
_LICENSE = re.compile(
    r"\b(?:MIT|Apache|GPL|LGPL|AGPL|BSD|MPL|Creative Commons|CC[- ]BY(?:-\w+)*|CC0|OpenRAIL|"
    r"RAIL|public domain|dominio p[uú]blico|licen[cs](?:e|ed|ia|iad[oa])s?)\b"
)


_VALUATION_BEFORE = re.compile(
    r"(?:valued at|valuation of|valoraci[oó]n de|valorad[ao]s? en|vale)\s*$", re.IGNORECASE
)
_VALUATION_AFTER = re.compile(
    r"^\s*(?:(?:post|pre)[- ]money\s+)?(?:valuation|valoraci[oó]n)", re.IGNORECASE
)


def _is_valuation(text: str, figure: str) -> bool:
    """Whether ``figure`` in ``text`` is a company's valuation ("at $61.5B post-money
    valuation", "valorada en 6.000 millones"), not an amount raised or paid."""
    at = text.find(figure)
    return at >= 0 and bool(
        _VALUATION_BEFORE.search(text[:at]) or _VALUATION_AFTER.match(text[at + len(figure) :])
    )


_WHO_IS = re.compile(
    r"\b(?:who(?:'s| is| was| are| were| will be)|qui[eé]n(?:es)? (?:es|era|fue|son|fueron|ser[aá])"
    r"|qui[eé]n(?:es)? (?:ha|han) sido)\s+(?:the |el |la |los |las |its |their |his |her |su |sus )"
    r"(?:new |current |former |nuevo |nueva |actual |antiguo |antigua |ex )?([\w-]+)",
    re.IGNORECASE,
)


def _role(question: str, concepts: list[_Concept]) -> list[_Concept]:
    """The relation a "who is the N of X" question asks for (CEO, founder, "director
    financiero"): a sentence about X that does not say it does not answer who holds it."""
    match = _WHO_IS.search(question)
    if not match:
        return []
    rest = question[match.start(1) :]
    role = re.split(
        r"\s(?:of|at|in|for|now|that|since|after|de|del|en|para|ahora|que|desde|tras)\s|[,?]",
        rest,
        maxsplit=1,
    )[0]
    role = " ".join(role.split()[:3])  # "Chivas coach": the names among them are not the role
    # The role's words are the question's own concepts, so a lexicon phrase ("director
    # financiero") keeps its translation ("CFO"); one concept, matched by any of their stems.
    stems = set(query_terms(role))
    words = [c for c in concepts if not c.is_name and c.stems & stems]
    if not words:
        return []
    return [_Concept(set().union(*(c.stems for c in words)), [p for c in words for p in c.phrases])]


#: "who" that asks, at the head of the question ("¿A quién fichó…?", "and who…"), not the
#: relative pronoun of "the wrestler who signed with WWE".
_WHO_DOES = re.compile(
    r"^\W*(?:(?:a|con|de|para|por|and|so|y|pero|ok)\s+)?(?:who|qui[eé]n(?:es)?)(?:'s|'ll)?"
    r"\s+((?:[\w-]+\s+){0,2}[\w-]+)",
    re.IGNORECASE,
)


#: Adverbs that may stand between "who" and its verb ("-ly", but not "supply", "reply",
#: "rely": verbs).
_ADVERB = re.compile(
    r"\w{2,}(?<!p)(?<!re)ly|\w+mente|first|also|just|already|still|then|now|primero|ya|"
    r"tambi[eé]n|reci[eé]n|luego|a[uú]n|todav[ií]a",
    re.IGNORECASE,
)


#: A paper's byline, as a title is quoted with it: "… — Hitchcock and Hoogland", "… — Wang
#: et al. · ICLR", "by Jane Doe".
_NAME_WORD = r"[A-ZÁÉÍÓÚÑ][\w'’.-]+"
_BYLINE = re.compile(
    rf"(?:—\s*|\bby\s+|\bpor\s+){_NAME_WORD}(?:\s{_NAME_WORD})*"
    rf"(?:\s+et al\b|(?:,\s*{_NAME_WORD}(?:\s{_NAME_WORD})*)*,?\s+(?:and|y|&)\s+{_NAME_WORD})"
    rf"|\bby\s+{_NAME_WORD}\s{_NAME_WORD}"
    # a first-person post titled with its writer's name: "Pedram Navid: Why I Joined…"
    rf"|^{_NAME_WORD}\s{_NAME_WORD}:\s.*\b(?:I|I'm|I've|my|My|me|mi|Mi|yo|Yo)\b"
    # a signed piece: "A statement from Dario Amodei on…", "Una carta de Sam Altman"
    r"|\b(?:[Ss]tatement|[Ll]etter|[Mm]essage|[Mm]emo|[Nn]ote|[Cc]omunicado|[Cc]arta|[Mm]ensaje"
    r"|[Dd]eclaraci[oó]n)\s+(?:from|by|de|por)\s+"
    rf"{_NAME_WORD}\s{_NAME_WORD}"
)


def _writes(deed: _Concept) -> bool:
    """Whether the deed asked about is writing ("who wrote the paper", "¿quién firma…?")."""
    return any(
        s.startswith(("writ", "wrot", "author", "escrib", "autor", "firm")) for s in deed.stems
    )


def _deed(question: str, concepts: list[_Concept]) -> list[_Concept]:
    """What a "who" question asks the person did, when its verb comes first ("who led the
    round", "¿quién le pone voz a Simba?", "who's voicing Simba"). A name beside someone
    else's deed ("Pelado Almeyda se va") does not answer it. A question that puts an
    auxiliary first leaves the rest to the coverage rule: "who is the former tech director"
    and "who did the study" name no deed."""
    match = _WHO_DOES.search(question)
    for word in match.group(1).split() if match else []:
        if fold(word) in _QUESTION_WORDS:
            return []
        if _ADVERB.fullmatch(word):
            continue  # "who first reported": the deed is the verb after the adverb
        if not is_stopword(word):  # a pronoun or article: "quién le pone", "quién se lleva"
            stems = set(query_terms(word))
            return [c for c in concepts if not c.is_name and stems & c.stems][:1]
    return []


def _terms_and_prefixes(text: str) -> tuple[set[str], set[str]]:
    terms = _terms(text)
    return terms, _prefixes(terms)


_HOW_MANY = re.compile(
    r"\b(?:how many|cu[aá]nt[oa]s|(?:how much|cu[aá]nt[oa]) (?:more|less|m[aá]s|menos))\s+"
    r"((?:[\w-]+\s+){0,2}[\w-]+)|\bhow much (\w+er)\b|\b([\w-]+)\s+count\b",
    re.I,
)


def _counted(core: Core, question: str) -> list[_Concept]:
    """The thing a "how many" question counts ("how many Nvidia chips" -> chips), or the
    measure a comparison asks by ("cuánto más rápido", "how much faster")."""
    match = _HOW_MANY.search(question)
    if not match:
        return []
    counted = match.group(1) or match.group(2) or match.group(3)
    if not counted or re.match(r"(veces|vez|times)\b", counted, re.I):
        return []  # "cuántas veces" / "how many times": how often, not a count of things
    if match.group().lower().startswith("cu"):
        counted = _spanish_noun(counted.split())
    elif match.group().lower().startswith("how many"):
        counted = _english_noun(counted.split())
    return [c for c in _concepts(core, " " + counted) if not c.is_name]


#: Where a quote joins two sentences: a title and its lede, or sentences apart.
_JOINS = re.compile(r" — | … ")


def _both(words: list[str], i: int) -> bool:
    """Whether ``words[i]`` counts two (``_BOTH``): "ambos", "both of", not "both a fault and
    a bug"."""
    return bool(re.match(rf"{_BOTH}\b", " ".join(words[i : i + 2]), re.IGNORECASE))


def _counts(text: str, counted: list[_Concept], names: list[_Concept]) -> bool:
    """Whether a number in ``text`` counts one of ``counted``: the thing is named within four
    words of it. A share counts too when it is the asked-about name's ("15,8 % ... de
    Estados Unidos"), not another's (China's 17 % of downloads is not DeepSeek's)."""
    found = list(_COUNT_WORD.finditer(text))
    sizes = any(
        s.startswith(w) for c in counted for s in c.stems for w in _UNIT_WORDS["parameters"]
    )
    words: list[str] = []
    starts: list[int] = []
    for m in found:  # "a three-step algorithm" counts steps: the number, then its noun
        split = _NUMBER_GLUED.fullmatch(m.group())
        parts = [split.group(1), split.group(2)] if split else [m.group()]
        words += parts
        starts += [m.start()] * len(parts)
    stems = [_terms(w) for w in words]
    asks_people = any(c.stems & {"peopl", "person", "gent"} for c in counted)
    # "Claude Opus 4.6" names a model (a title's "Funding 60 Projects" counts projects)
    versions = {
        m.start(1)
        for m in _VERSION.finditer(text)
        if "." in m.group(1) and not text[m.end(1) : m.end(1) + 1].isalnum()  # not "1.5B"
    }
    asks_money = any(c.stems & (_MONEY_WORDS | _CREDITS) for c in counted)  # "$25 of credits"
    money = -2  # where the last amount of money was
    for i, word in enumerate(words):
        amount = word.lstrip("$€£")
        if starts[i] in versions or _NAME_NUMBER.search(text, 0, starts[i]):
            continue  # "Claude Opus 4.6", "GPT-5": a name's number counts nothing
        if not asks_money and (
            amount != word
            or _MONEY_WORDS & set().union(*stems[i + 1 : i + 4])
            or (money == i - 1 and fold(word) in _SCALE_AFTER | _SCALE_WORDS)
        ):
            money = i
            continue  # "$100 million into the Partner Network" counts no partners
        if amount[:1].isdigit():
            if re.search(r"[a-zA-Z]", amount) and not _SCALED.fullmatch(amount):
                continue  # a name such as H100 ("3x", "24B" and "1.5M" are counts)
            if sizes and re.fullmatch(r"[\d.,]+[BM]", amount):
                return True  # a model's size: "Muse Glimmer 30B" counts its parameters
        elif not (re.fullmatch(_NUMBER_WORD, amount, re.IGNORECASE) or _both(words, i)):
            continue
        glued = amount.endswith("%")  # "30%", else "30 %" or no percentage
        percent = glued or (i + 1 < len(words) and words[i + 1] == "%")
        following = words[i + 1 :] if glued else words[i + 2 :]
        # "30% more token-efficient" is how much more, not whose share
        share = percent and not (following and fold(following[0]) in _COMPARED)
        reach = 8 if share else 4  # a share and its base sit further apart ("17 % de las ...")
        near = set().union(*stems[max(0, i - reach) : i + reach + 1])
        if _both(words, i):  # "both of this year's … Awards"
            near |= set().union(*stems[i : i + 11])
        # "100 humans" counts the people a "cuántas personas" asks about
        people = asks_people and fold(" ".join(words[i + 1 : i + 2])) in _PEOPLE
        if not people and not any(c.matched_loosely(near, _prefixes(near)) for c in counted):
            continue
        if (
            not percent
            and not people
            and _counts_another(words[i + 1 : i + 5], stems[i + 1 : i + 5], counted)
        ):
            continue
        if not share or (names and all(c.matched(near) for c in names)):
            return True
    return False


#: The stems of currencies: an amount of money counts no things.
_MONEY_WORDS = frozenset(
    query_terms("dollars dólares euros pounds libras usd eur yuan yenes dolares")
)
#: What an amount of money may count: "$25 of free API credits per month".
_CREDITS = frozenset(query_terms("credits créditos credit crédito"))
#: Nouns a count of anything may use: "a staff of 500 people", "una plantilla de 40
#: personas", "el chofer (de entre seis opciones)", "ocho veces más posibilidades".
_ANY_COUNTED = frozenset(
    "people persons individuals members personas individuos miembros units unidades options "
    "choices opciones types kinds tipos clases times veces".split()
)
#: Who a count of people may be: "we asked 100 humans", "2,000 participants".
_PEOPLE = frozenset(
    "human humans participant participants worker workers volunteer volunteers annotator "
    "annotators rater raters respondent respondents humano humanos participante participantes "
    "trabajador trabajadores voluntario voluntarios encuestado encuestados".split()
)
_SCALE_AFTER = frozenset("million millions billion billions thousand thousands hundred".split())


def _counts_another(after: list[str], stems: list[set[str]], counted: list[_Concept]) -> bool:
    """Whether the noun right after a number says it counts something else: "across all
    five steps" counts steps, not the engineers before it; "five new employees", "28 open-
    and closed-source LLMs" (the thing within four words) and "a staff of 500 people" still
    count what is asked."""
    if len(after) > 2 and fold(after[0]) in _RANGE and _NUMBER_OR_WORD.fullmatch(after[1]):
        after, stems = after[2:], stems[2:]  # "4 to 7 months" counts months
    clause = next((i for i, w in enumerate(after) if fold(w) in _RELATIVE), len(after))
    after, stems = after[:clause], stems[:clause]  # "three experiments where participants…"
    if not after:
        return False
    first = fold(after[0])
    if is_stopword(first) or first in _ANY_COUNTED or first in _SCALES:
        return False
    if not first.isalpha():
        return False
    if _TIME_UNIT.fullmatch(first):  # "7 months after closed models" counts months
        return not any(c.matched_loosely(stems[0], _prefixes(stems[0])) for c in counted)
    return not any(c.matched_loosely(s, _prefixes(s)) for s in stems for c in counted)


#: A unit of time (accents folded or not): what "7 months" counts.
_TIME_UNIT = re.compile(_UNITS_OF_TIME, re.IGNORECASE)
#: Words that open a clause about something else than the number's noun.
_RELATIVE = frozenset("where which that who whose whom donde que quien quienes cuyo cuya".split())
#: Between the two ends of a range: "4 to 7 months", "entre 6 y 10 meses".
_RANGE = frozenset("to a y and or o hasta".split())
_NUMBER_OR_WORD = re.compile(rf"\d[\d.,]*|{_NUMBER_WORD}", re.IGNORECASE)
_SCALE_WORDS = frozenset({"millones", "miles", "mil", "cientos"})
_SCALES = _SCALE_AFTER | _SCALE_WORDS


def _english_noun(words: list[str]) -> str:
    """The noun phrase after "how many", up to its verb: "how many people took part" counts
    people (the "participants" of a sentence are no count of anything else)."""
    kept: list[str] = []
    for w in words:
        if kept and (fold(w) in _QUESTION_WORDS or re.fullmatch(r"\w{3,}ed", w)):
            if fold(kept[-1]) in _ANY_COUNTED:
                return " ".join(words)  # "how many people took part": participants
            break
        kept.append(w)
    return " ".join(kept)


def _spanish_noun(words: list[str]) -> str:
    """The noun after "cuántos": Spanish puts it first and its verb next ("cuántos ingenieros
    construyeron" counts engineers, not what was built), past a scale ("cuántos millones de
    descargas": downloads), with a "de" noun that completes it ("fallos de seguridad")."""
    at = next((i for i, w in enumerate(words) if not is_stopword(w)), len(words))

    def word(i: int) -> str:
        return fold(words[i]) if i < len(words) else ""

    if word(at) in _SCALE_WORDS:
        at += 2 if word(at + 1) == "de" else 1
    start = at
    if word(at) in _BEFORE_NOUN and word(at + 1):
        at += 1  # "cuántas buenas prácticas" counts practices
    return " ".join(words[start : at + (3 if word(at + 1) == "de" else 1)])


#: Adjectives Spanish puts before the noun a count is of: "cuántas nuevas funciones".
_BEFORE_NOUN = frozenset(
    fold(w)
    for w in (
        "buen buena buenas buenos mejores nuevas nuevos principales grandes distintas "
        "distintos diferentes primeras primeros posibles verdaderas verdaderos"
    ).split()
)


#: Words after a percentage that make it a change, not a share ("30% more", "un 20 % menos").
_COMPARED = frozenset(
    "more less fewer faster cheaper higher lower better smaller larger mas menos mayor menor "
    "mejor peor".split()
)
_NUMBER = re.compile(r"\d[\d.,]*\d|\d")
_FREE_NUMBER = re.compile(_NOT_A_NAMES + r"\d")
#: The words of ``_counts``: a hyphenated compound is one ("16 simple-to-use procedurally-
#: generated environments": the thing counted is three words on, not six).
#: A count of one and the noun after it (with a word between: "one API call"). Spanish "un"
#: is also "a": only "un solo", "una única" say one.
_ONE = re.compile(
    r"\b(?:one|a single|just one|only one|un sol[oa]|una sola|un[ao]? [uú]nic[oa])\s+"
    r"(?:[\w-]+\s+)?[\w-]+",
    re.IGNORECASE,
)
#: Where a number glued to a name by a hyphen starts: "GPT-5", "Llama-3".
_NAME_NUMBER = re.compile(r"[^\W\d_]-$")
_COUNT_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)+|[\w%$€]+(?:[.,]\d+)*")
_SCALED = re.compile(r"[\d.,]+(?:x|[kmbt]n?)", re.IGNORECASE)
_NUMBER_GLUED = re.compile(rf"(\d+|{_NUMBER_WORD})-([^\W\d_]+)", re.IGNORECASE)
#: A number written right after a name is part of it: "Mistral Small 4", "GPT-5.6", "Qwen 3".
_VERSION = re.compile(
    r"\b[A-Z][\w-]*[\s-](\d+(?:\.\d+)*)(?![\w.,]*\s*(?:%|millones|million|billion|mil\b))"
)

_DOTTED = re.compile(r"(?<![\w.])\d+(?:\.\d+){2,}(?![\w.])")


def _versions(question: str) -> set[str]:
    """The version numbers of the names the question gives: a cited article must say them
    (an article on Mistral Small 3 does not answer for Mistral Small 4). Years are dates."""
    found = {
        m.group(1)
        for m in _VERSION.finditer(question)
        if fold(m.group().split()[0].split("-")[0]) not in _MONTHS  # "November 19": a day
    }
    found.update(_RELEASE.findall(question))
    # "windsurf next 1.9.102": two dots make a version, unless they group thousands
    found.update(v for v in _DOTTED.findall(question) if any(len(g) != 3 for g in v.split(".")[1:]))
    return _numbers(" ".join(v for v in found if not re.fullmatch(r"(19|20)\d\d", v)))


_LOWER_VERSION = re.compile(r"\b([a-z][a-z-]*)[\s-](\d{1,2}(?:\.\d+)?)(?![\w.,%])")
#: Words a number follows to rank or place, not to name: "top 5", "phase 2", "día 3".
_PLACE_WORDS = frozenset(
    "top phase fase step paso tier level nivel page part parte chapter season temporada "
    "episode round day dia week semana month year number numero no version versio".split()
)


#: What may stand for a hyphen inside a name: "DALL·E", "DALL‑E" (no-break hyphen), "Dall E".
_NAME_JOINER = r"[-\u2010\u2011\u00b7.\s]?"


def _numbered_names(core: Core, question: str) -> list[re.Pattern[str]]:
    """A name typed in lower case with its number ("evo 2", "grok 4.6"): a known name or an
    untranslated word, no stopword, right before a small number. The article must write them
    together ("Evo 2", "Evo-2"); GPT-2 says "2" but is no Evo 2."""
    found = []
    for match in _LOWER_VERSION.finditer(question):
        word = match.group(1)
        if is_stopword(word) or fold(word) in _QUESTION_WORDS | _PLACE_WORDS or len(word) < 2:
            continue
        if core.searcher.expander.lexicon.expand(word) and not core.gazetteer.find(word):
            continue  # "top 5", "season 2"; "grok 4.6" is a known name's version
        number = re.escape(match.group(2))
        # the name's own hyphen may be written as a dot or a space: "dall-e 3", "DALL·E 3"
        written = _NAME_JOINER.join(map(re.escape, word.split("-")))
        found.append(re.compile(rf"\b{written}[\s-]?{number}(?![\d.])", re.I))
    return found


_SERIES = re.compile(r"\b(?:series|serie|ronda)\s+([A-H])\b", re.IGNORECASE)


def _series(text: str) -> set[str]:
    """The funding rounds ``text`` names by letter: "la serie B" -> {"series b"}."""
    return {f"series {m.lower()}" for m in _SERIES.findall(text)}


def _numbers(text: str) -> set[str]:
    return {re.sub(r"[.,]", "", n) for n in _NUMBER.findall(text)}


#: A sum or a share: "$4.6 million" says no "Claude Opus 4.6" ("CodeGen-Mono 6.1B" is a name).
_AMOUNT = re.compile(
    r"[$€£]\s?\d[\d.,]*|\d[\d.,]*\s?(?:%|[€$£]|(?:million|billion|trillion|millones|"
    r"mil millones|billones|bn)\b)",
    re.IGNORECASE,
)
_RELEASE_NUMBER = re.compile(r"(?<![\w.])v?(\d+\.\d+)(?:\.\d+)+(?![\w.])")


def _release_lines(text: str) -> set[str]:
    """The release line of each patch release ``text`` names: "1.10.100" is a 1.10, so an
    article on it answers for "la versión 1.10" ("1.000.000" groups thousands: no release)."""
    return {
        m.group(1).replace(".", "")
        for m in _RELEASE_NUMBER.finditer(text)
        if any(len(g) != 3 for g in m.group().split(".")[1:])
    }


@dataclass(frozen=True, slots=True)
class _Given:
    """The numbers a question gives. As figures ("its $750 million round") they are blanked
    anywhere in a quote; as a name's digits ("GPT-4o", "M1") only where a name carries them,
    so the "4" of "GPT-4o" does not blank the answer's "$4"."""

    free: frozenset[str] = frozenset()
    glued: frozenset[str] = frozenset()

    @classmethod
    def of(cls, question: str) -> _Given:
        free: set[str] = set()
        glued: set[str] = set()
        for m in _NUMBER.finditer(question):
            side = free if _FREE_NUMBER.match(question, m.start()) else glued
            side.add(re.sub(r"[.,]", "", m.group()))
        return cls(frozenset(free), frozenset(glued))


def _without(text: str, given: _Given | None = None) -> str:
    """``text`` with the numbers the question gives (any separators) and redacted ones
    blanked out."""
    text = _REDACTED.sub(" ", text)
    if given is None or not (given.free or given.glued):
        return text

    def blank(m: re.Match[str]) -> str:
        key = re.sub(r"[.,]", "", m.group())
        if key in given.free or (key in given.glued and not _FREE_NUMBER.match(text, m.start())):
            return ""
        return m.group()

    return _NUMBER.sub(blank, text)


#: A first sentence this short is a byline or a venue line ("Wang et al. · ICLR · Spotlight").
_SHORT_LEDE_WORDS = 12


def _with_short_lede(s: _Sentence, by_index: Mapping[tuple[int, int], _Sentence]) -> _Sentence:
    """A bare title quoted with its item's short first line: the title says what the item
    is, the line often who wrote it, where it appeared or what it won."""
    title, lede = by_index.get((s.article_id, -1)), by_index.get((s.article_id, 0))
    if title is None or lede is None or s.text != title.text:
        return s
    if len(re.findall(r"\w+", lede.text)) > _SHORT_LEDE_WORDS or fold(lede.text) in fold(
        title.text
    ):
        return s
    return _Sentence(s.article_id, -1, f"{title.text} — {lede.text}", s.passage_id)


#: A sentence that opens on a pronoun ("In fact, it is the greatest thing holding you back.",
#: "Esto permitirá…") says what it is about in the sentence before it.
_OPENS_ON_PRONOUN = re.compile(
    r"(?:(?:in fact|indeed|but|and|yet|still|however|so|de hecho|pero|sin embargo|y|además)"
    r",?\s+)?(?:it|it's|it’s|this|these|they|they're|he|she|esto|eso|ello|él|ella|ellos|ellas)\b",
    re.IGNORECASE,
)


def _with_antecedent(s: _Sentence, by_index: Mapping[tuple[int, int], _Sentence]) -> _Sentence:
    """A lone body sentence that opens on a pronoun, quoted after the sentence it points
    back to (the title, for the first sentence): the quote then says what "it" is."""
    alone = by_index.get((s.article_id, s.index))
    if s.index < 0 or alone is None or alone.text != s.text or not _OPENS_ON_PRONOUN.match(s.text):
        return s
    before = by_index.get((s.article_id, s.index - 1 if s.index > 0 else -1))
    if before is None:
        return s
    gap = " " if before.index >= 0 else " — "
    return _Sentence(s.article_id, s.index, f"{before.text}{gap}{s.text}", s.passage_id)


def _with_rest(
    s: _Sentence,
    by_index: Mapping[tuple[int, int], _Sentence],
    covered_at: Mapping[tuple[int, int], set[int]],
    content: Sequence[_Concept],
) -> _Sentence:
    """A lone sentence (or title) quoted with the next one, else the one before, when that
    one says what the question asks and it does not: "Every industry has a golden era." /
    "And once it ends, it is impossible to break through." for "what happens when the golden
    age ends"."""
    alone = by_index.get((s.article_id, s.index))
    if alone is None or alone.text != s.text:
        return s
    missing = {id(c) for c in content if not c.optional} - covered_at.get(
        (s.article_id, s.index), set()
    )
    after = by_index.get((s.article_id, s.index + 1 if s.index >= 0 else 0))
    if after is not None and missing & covered_at.get((after.article_id, after.index), set()):
        gap = " " if s.index >= 0 else " — "
        return _Sentence(s.article_id, s.index, f"{s.text}{gap}{after.text}", s.passage_id)
    before = by_index.get((s.article_id, s.index - 1)) if s.index > 0 else None
    if before is not None and missing & covered_at.get((before.article_id, before.index), set()):
        return _Sentence(s.article_id, s.index, f"{before.text} {s.text}", s.passage_id)
    return s


def _distinct(chosen: list[_Sentence]) -> list[_Sentence]:
    """Drop a quote that another (joined with its neighbour) already contains, however the
    two were joined ("Title — lede" and "Title … lede" are one quote)."""
    words = [_JOINS.sub(" ", s.text) for s in chosen]
    return [
        s
        for i, s in enumerate(chosen)
        if not any(
            i != j and words[i] in words[j] and (len(words[j]) > len(words[i]) or j < i)
            for j in range(len(chosen))
        )
    ]


def _not_found(question: str, lang: str) -> Answer:
    return Answer(question, False, t("answer_not_found", lang, question=question), lang)


def _compose(
    core: Core,
    question: str,
    lang: str,
    chosen: list[_Sentence],
    articles: Mapping[int | None, Article],
    figures: Sequence[Figure],
    names_es: Mapping[str, str],
    wants_quantity: bool,
) -> Answer:
    numbers: dict[int, int] = {}
    citations: list[Citation] = []
    lines: list[str] = []
    for s in chosen:
        article = articles[s.article_id]
        n = numbers.setdefault(s.article_id, len(numbers) + 1)
        when = article.published_at or article.first_seen_at
        citations.append(
            Citation(
                n,
                s.article_id,
                article.title,
                article.url,
                article.source_name,
                when,
                s.text,
                article.lang,
            )
        )
        other = "" if article.lang == lang else " " + in_language(article.lang, lang)
        lines.append(
            t("answer_quote", lang, sentence=s.text, n=n, date=format_date(when, lang)) + other
        )
    shown = [
        f
        for f in figures
        if any(f.article_id == c.article_id and f.sentence in c.sentence for c in citations)
    ]

    def note(f: Figure) -> str:
        subject = display_subject(f.subject, lang, names_es)
        return format_number(f.value, f.unit, f.text, lang) + (f" ({subject})" if subject else "")

    figure_notes = list(dict.fromkeys(note(f) for f in shown))
    conflicts = _conflicts(shown, numbers, lang, names_es)
    direct = (
        _direct(core, question, lang, shown, citations, articles, names_es)
        if wants_quantity
        else None
    )
    header = t("answer_header", lang, count=len(numbers))
    text = "\n".join([*([direct] if direct else []), header, *lines])
    if figure_notes:
        text += "\n" + t("answer_figures", lang, figures=", ".join(figure_notes))
    if conflicts:
        text += "\n" + "\n".join(conflicts)
    return Answer(question, True, text, lang, citations, figure_notes, conflicts, direct)


def _direct(
    core: Core,
    question: str,
    lang: str,
    shown: Sequence[Figure],
    citations: list[Citation],
    articles: Mapping[int | None, Article],
    names_es: Mapping[str, str],
) -> str | None:
    """One line that answers a quantity question: the best figure of the cited evidence."""
    if not shown:
        return None
    stems = set(query_terms(question))
    asked = set(core.gazetteer.find(question))
    order = {c.article_id: i for i, c in enumerate(citations)}

    def fit(f: Figure) -> tuple[int, int, int]:
        unit = any(
            s.startswith(w) or w.startswith(s) for s in stems for w in _UNIT_WORDS.get(f.unit, ())
        )
        return (int(unit), int(f.subject in asked), -order.get(f.article_id, 9))

    best = max(shown, key=fit)
    if fit(best)[0] == 0 and len(shown) > 1:
        return None  # several figures and none of them of the kind asked: let quotes speak
    article = articles[best.article_id]
    n = next(c.n for c in citations if c.article_id == best.article_id)
    subject = display_subject(best.subject, lang, names_es)
    return t(
        "answer_direct",
        lang,
        figure=format_number(best.value, best.unit, best.text, lang),
        subject=f"{subject}, " if subject else "",
        date=format_date(article.published_at or article.first_seen_at, lang),
        n=n,
    )


def _conflicts(
    figures: Sequence[Figure], numbers: dict[int, int], lang: str, names_es: Mapping[str, str]
) -> list[str]:
    """Same subject and unit, different values, different articles: say the sources differ."""
    out = []
    by_key: dict[tuple[str | None, str], list[Figure]] = {}
    for fig in figures:
        if fig.subject:
            by_key.setdefault((fig.subject, fig.unit), []).append(fig)
    for (subject, _unit), group in by_key.items():
        values: dict[int, Figure] = {}
        for fig in group:
            values.setdefault(fig.article_id, fig)
        if len(values) < 2:
            continue
        figs = list(values.values())
        low, high = min(f.value for f in figs), max(f.value for f in figs)
        if high and (high - low) / high > 0.01:
            detail = "; ".join(f"[{numbers[f.article_id]}] {f.text}" for f in figs)
            shown = display_subject(subject, lang, names_es)
            out.append(t("answer_conflict", lang, subject=shown, detail=detail))
    return out
