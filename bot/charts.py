"""Trend charts: mentions over time of the rising entities, as a PNG, labelled in the reply's
language.

Drawn with matplotlib's Agg backend on a ``Figure`` of its own (no pyplot and its global
figure registry); matplotlib is not thread-safe, so chat threads draw one chart at a time
(a few hundred milliseconds). It is imported on the first chart only, so starting the bot
and every other command stay as fast as before.
"""

from __future__ import annotations

import errno
import io
import threading
import warnings
from bisect import bisect_right
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bot.i18n import UserError, format_date, t
from bot.reply import Attachment
from bot.trends import Trend

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Entities drawn (the most risen); more lines than this are hard to tell apart.
MAX_LINES = 6
#: Pixels: 9 x 4.5 inches at 100 dpi, legible inline in Slack and Discord.
SIZE, DPI = (9.0, 4.5), 100
# The time step: days for a span up to this many days, then weeks, then months.
DAILY_UP_TO, WEEKLY_UP_TO = 62, 730
#: Per line: its marker, and how far (in buckets) lines are set apart.
MARKERS, DODGE = "os^Dvp", 0.06
_DRAWING = threading.Lock()


def chart_attachment(trend: Trend, lang: str) -> Attachment:
    """The trend's chart as a reply's file (``tendencias-7d.png`` / ``trending-7d.png``)."""
    names = ", ".join(name for name, _, _ in trend.rising[:MAX_LINES])
    title = t("chart_title", lang, days=trend.days)
    return Attachment(
        filename=t("chart_filename", lang, days=trend.days),
        data=trend_png(trend, lang),
        mime="image/png",
        title=f"{title}: {names}",
    )


def save_chart(trend: Trend, path: Path, lang: str) -> int:
    """Write the trend's chart to ``path`` (``ainews trending --chart``); returns its size.
    Raises ``UserError`` (localized) when nothing is rising or ``path`` cannot be written."""
    if not trend.rising:
        raise UserError("chart_none", days=trend.days)
    data = trend_png(trend, lang)
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise UserError("chart_unwritable", path=str(path), reason=_reason(exc, lang)) from None
    return len(data)


def trend_png(trend: Trend, lang: str) -> bytes:
    """The chart (``trend_figure``) as PNG bytes."""
    out = io.BytesIO()
    with _DRAWING, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a glyph the bundled font lacks (CJK names) is a box
        figure = trend_figure(trend, lang)
        figure.savefig(out, format="png")
    return out.getvalue()


def trend_figure(trend: Trend, lang: str) -> Figure:
    """Mentions per day (week, month on long spans) of the most risen entities, from the
    first mention of any of them (at most ``2 × days`` back) to now; a dashed line marks
    where the last ``days`` begin. Raises ``ValueError`` when nothing is rising."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    names = [name for name, _, _ in trend.rising[:MAX_LINES]]
    if not names:
        raise ValueError("nothing is rising: no chart")
    first = min(min(trend.mentions[n]) for n in names).date()
    start = max(trend.start.date(), first - timedelta(days=1))
    step = _step((trend.now.date() - start).days)
    edges = _edges(start, trend.now.date(), step)
    figure = Figure(figsize=SIZE, dpi=DPI)
    FigureCanvasAgg(figure)  # the Agg backend draws it
    axes = figure.add_subplot()
    for i, name in enumerate(names):
        # Each line a little apart and with its own marker: equal counts stay visible.
        shift = (i - (len(names) - 1) / 2) * DODGE
        x = [left + (right - left) * shift for left, right in zip(edges, edges[1:], strict=False)]
        counts = _counts(trend.mentions[name], edges)
        axes.plot(x, counts, marker=MARKERS[i], markersize=4, alpha=0.85, label=_literal(name))
    middle = trend.middle.date()
    if edges[0] < middle.toordinal():
        axes.axvline(
            middle.toordinal(),
            linestyle="--",
            color="grey",
            label=t("chart_recent", lang, days=trend.days),
        )
    axes.set_title(t("chart_title", lang, days=trend.days))
    axes.set_xlabel(t("chart_x", lang))
    axes.set_ylabel(t(f"chart_y_{step}", lang))
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.xaxis.set_major_locator(MaxNLocator(nbins=8, integer=True))
    axes.xaxis.set_major_formatter(
        FuncFormatter(lambda x, _: format_date(datetime.fromordinal(max(1, int(x))), lang))
    )
    axes.set_ylim(bottom=0)
    axes.grid(alpha=0.3)
    axes.legend(
        title=t("chart_legend", lang), fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1)
    )
    figure.autofmt_xdate()
    figure.tight_layout()
    return figure


def _step(span_days: int) -> str:
    if span_days <= DAILY_UP_TO:
        return "day"
    return "week" if span_days <= WEEKLY_UP_TO else "month"


def _edges(start: date, end: date, step: str) -> list[int]:
    """Bucket boundaries as day ordinals (what matplotlib's date axis reads), ``end``
    included in the last bucket."""
    edges = [start.toordinal()]
    current = start
    while current <= end:
        if step == "month":
            current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
        else:
            current += timedelta(days=1 if step == "day" else 7)
        edges.append(current.toordinal())
    return edges


def _counts(moments: list[datetime], edges: list[int]) -> list[int]:
    """Mentions per bucket; those before the first edge are left out."""
    counts = [0] * (len(edges) - 1)
    for moment in moments:
        i = bisect_right(edges, moment.date().toordinal()) - 1
        if 0 <= i < len(counts):
            counts[i] += 1
    return counts


def _literal(name: str) -> str:
    """A name as written: ``$`` would start matplotlib's math mode, ``_`` hides a label."""
    return name.replace("$", r"\$").lstrip("_") or "?"


_OS_REASONS = {errno.EACCES: "os_denied", errno.EPERM: "os_denied", errno.EROFS: "os_denied"}
_OS_REASONS |= {errno.ENOENT: "os_no_folder", errno.EISDIR: "os_is_folder"}


def _reason(exc: OSError, lang: str) -> str:
    code = _OS_REASONS.get(exc.errno or 0)
    return t(code, lang) if code else exc.strerror or type(exc).__name__
