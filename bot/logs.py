"""Logging set-up: readable lines for a terminal, one JSON object per line for log collectors.

``AINEWS_LOG_JSON=true`` switches to JSON because container platforms (docker-compose,
Kubernetes, Loki, CloudWatch) parse one object per line into searchable fields, while a person
at a terminal reads the human format faster. ``AINEWS_LOG_LEVEL`` applies to the project's own
loggers; third-party libraries stay at WARNING unless ``-v`` asks for everything, because at
INFO they log every HTTP request and every scheduler tick.

Secrets never reach the output: settings keep them as ``SecretStr`` (masked when formatted),
and as a second line of defence every record is scrubbed of the configured secret values and of
passwords inside URLs (``postgresql://user:***@host``), since an exception message from a
driver or an HTTP client can quote them verbatim.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from pydantic import SecretStr

from bot.settings import Settings

OWN_LOGGERS = ("ainews", "bot", "adapters")
MASK = "***"
# Shorter values are not scrubbed: replacing "ab" everywhere would mangle the log, and no real
# token or password is that short.
_MIN_SECRET_LEN = 6
_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)[^@\s/]+@")
# Attributes every LogRecord has; anything else came from ``extra=`` and goes into the JSON.
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}


class Redactor:
    """Replaces known secret values and URL passwords in text with ``***``."""

    def __init__(self, secrets: list[str]) -> None:
        values = sorted({s for s in secrets if len(s) >= _MIN_SECRET_LEN}, key=len, reverse=True)
        self._secrets = re.compile("|".join(map(re.escape, values))) if values else None

    @classmethod
    def from_settings(cls, settings: Settings) -> Redactor:
        values: list[str] = []
        for name in type(settings).model_fields:
            value = getattr(settings, name)
            if isinstance(value, SecretStr):
                values.append(value.get_secret_value())
        password = _url_password(settings.database_url)
        if password:
            values.append(password)
        return cls(values)

    def __call__(self, text: str) -> str:
        text = _URL_PASSWORD.sub(lambda m: m.group("head") + MASK + "@", text)
        if self._secrets is not None:
            text = self._secrets.sub(MASK, text)
        return text


def _url_password(url: str) -> str | None:
    if not url:
        return None
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).password
    except Exception:  # an unparsable URL is reported by the database code, not here
        return None


class HumanFormatter(logging.Formatter):
    """``2025-01-02 10:00:00,123 INFO bot.app: message``, scrubbed of secrets."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        return self._redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``ts``, ``level``, ``logger``, ``msg``, ``exc`` and extras."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": self._redact(record.getMessage()),
        }
        if record.exc_info:
            entry["exc"] = self._redact(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = self._redact(self.formatStack(record.stack_info))
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and key not in entry:
                entry[key] = _jsonable(value, self._redact)
        return json.dumps(entry, ensure_ascii=False)


def _jsonable(value: Any, redact: Redactor) -> Any:
    if isinstance(value, bool | int | float) or value is None:
        return value
    if isinstance(value, SecretStr):
        return str(value)  # the masked form
    return redact(str(value))


def parse_level(name: str) -> int | None:
    """``"info"``/``"INFO"``/``"20"`` -> 20; None for a name logging does not know."""
    text = name.strip().upper()
    if text.isdigit():
        return int(text)
    level = logging.getLevelName(text)
    return level if isinstance(level, int) else None


def setup_logging(
    settings: Settings, *, verbose: bool = False, stream: TextIO | None = None
) -> logging.Handler:
    """Install the one root handler (replacing any earlier one) and set the levels.

    ``verbose`` (the CLI's ``-v``) turns everything, libraries included, to DEBUG.
    Returns the handler so tests can inspect or remove it.
    """
    redact = Redactor.from_settings(settings)
    handler = logging.StreamHandler(stream or sys.stderr)
    formatter: logging.Formatter = (
        JsonFormatter(redact) if settings.log_json else HumanFormatter(redact)
    )
    handler.setFormatter(formatter)
    configured = parse_level(settings.log_level)
    own_level = logging.DEBUG if verbose else (configured or logging.INFO)
    root_level = logging.DEBUG if verbose else max(own_level, logging.WARNING)
    logging.basicConfig(level=root_level, handlers=[handler], force=True)
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(own_level)
    if configured is None:  # a typo must not stop the bot; say so once instead
        logging.getLogger("ainews").warning(
            "unknown AINEWS_LOG_LEVEL %r; using INFO (DEBUG, INFO, WARNING, ERROR)",
            settings.log_level,
        )
    return handler
