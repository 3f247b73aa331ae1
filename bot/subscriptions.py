"""``subscribe`` arguments: time, IANA timezone, topics and options, validated with clear errors."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.i18n import UserError
from bot.topics import Topics, TopicsError, parse_topics, tokens

_TIME = re.compile(r"^(\d{1,2})(?:[:h.](\d{2}))?$")
_OPTION = re.compile(
    r"^(min|min-sources|fuentes|lang|idioma|thread|hilo|followups|actualizaciones)=(\S+)$",
    re.IGNORECASE,
)
# yes/no options: the request's field each sets, and the message for another value.
_SWITCHES = {
    "thread": ("thread", "invalid_thread"),
    "hilo": ("thread", "invalid_thread"),
    "followups": ("followups", "invalid_followups"),
    "actualizaciones": ("followups", "invalid_followups"),
}
_YES = {"yes", "y", "si", "sí", "true", "on", "1"}
_NO = {"no", "n", "false", "off", "0"}
WEEKDAYS = {"weekdays", "weekdays-only", "laborables", "dias-laborables", "entre-semana"}
SKIP_EMPTY = {"skip-empty", "omitir-vacios", "sin-vacios"}


class SubscribeError(UserError):
    """A ``subscribe`` argument we refuse (time, timezone, option)."""


@dataclass
class SubscribeRequest:
    local_time: str | None = None
    timezone: str | None = None
    topics: Topics = field(default_factory=Topics)
    weekdays_only: bool | None = None
    min_sources: int | None = None
    skip_empty: bool | None = None
    lang: str | None = None
    thread: bool | None = None
    followups: bool | None = None  # story updates in the digest's thread


@lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    return {z.lower(): z for z in available_timezones()}


def validate_timezone(name: str) -> str:
    """The canonical IANA name, or ``SubscribeError('invalid_timezone')`` with suggestions."""
    canonical = _zones().get(name.lower()) or (
        "UTC" if name.upper() in {"UTC", "GMT", "Z"} else None
    )
    if canonical:
        try:
            ZoneInfo(canonical)
            return canonical
        except ZoneInfoNotFoundError:
            pass
    close = difflib.get_close_matches(name.lower(), list(_zones()), n=3, cutoff=0.6)
    suggestions = ", ".join(_zones()[c] for c in close) or "Europe/Madrid, America/New_York, UTC"
    raise SubscribeError("invalid_timezone", timezone=name, suggestions=suggestions)


def parse_subscribe(args: str) -> SubscribeRequest:
    request = SubscribeRequest()
    try:
        words = tokens(args)
    except TopicsError as exc:
        raise SubscribeError(exc.code, **exc.params) from None
    terms: list[tuple[str, bool]] = []
    for token, quoted in words:
        if quoted:
            terms.append((token, True))
            continue
        lowered = token.lower()
        if (m := _TIME.match(token)) and request.local_time is None:
            hour, minute = int(m.group(1)), int(m.group(2) or 0)
            if hour > 23 or minute > 59:
                raise SubscribeError("invalid_time", time=token)
            request.local_time = f"{hour:02d}:{minute:02d}"
        elif re.fullmatch(r"\d{1,2}[:h.]\d{1,2}", token) or re.fullmatch(r"\d{3,4}", token):
            raise SubscribeError("invalid_time", time=token)
        elif ("/" in token or lowered in {"utc", "gmt"}) and request.timezone is None:
            request.timezone = validate_timezone(token)
        elif lowered in WEEKDAYS:
            request.weekdays_only = True
        elif lowered in SKIP_EMPTY:
            request.skip_empty = True
        elif m := _OPTION.match(token):
            key, value = m.group(1).lower(), m.group(2).lower()
            if key in {"lang", "idioma"}:
                if value not in {"es", "en"}:
                    raise SubscribeError("invalid_lang", lang=value)
                request.lang = value
            elif key in _SWITCHES:
                name, refusal = _SWITCHES[key]
                if value not in _YES | _NO:
                    raise SubscribeError(refusal, value=value)
                setattr(request, name, value in _YES)
            else:
                if not value.isdecimal() or len(value) > 2 or not 1 <= int(value) <= 20:
                    raise SubscribeError("invalid_min_sources", value=value)
                request.min_sources = int(value)
        else:
            terms.append((token, False))
    try:
        request.topics = parse_topics(terms)
    except TopicsError as exc:
        raise SubscribeError(exc.code, **exc.params) from None
    return request
