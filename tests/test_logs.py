"""Logging: human lines by default, JSON lines on request, and no secret ever in the output."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.logs import Redactor, setup_logging
from bot.settings import load_settings


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """setup_logging replaces the root handler; give pytest's logging back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    own = {name: logging.getLogger(name).level for name in ("ainews", "bot", "adapters")}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, value in own.items():
        logging.getLogger(name).setLevel(value)


def test_human_format_by_default() -> None:
    out = io.StringIO()
    setup_logging(load_settings(), stream=out)
    logging.getLogger("bot.app").info("slack adapter started")
    line = out.getvalue().strip()
    assert line.endswith("INFO bot.app: slack adapter started")
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)


def test_json_lines_when_asked() -> None:
    out = io.StringIO()
    setup_logging(load_settings(log_json=True), stream=out)
    log = logging.getLogger("bot.scheduler")
    log.warning("digest for %s failed", "C123", extra={"channel": "C123", "attempt": 2})
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        log.exception("job crashed")
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["level"] == "WARNING" and first["logger"] == "bot.scheduler"
    assert first["msg"] == "digest for C123 failed"
    assert first["channel"] == "C123" and first["attempt"] == 2
    assert first["ts"].endswith("+00:00")
    assert second["msg"] == "job crashed" and "RuntimeError: boom" in second["exc"]


def test_levels_own_loggers_versus_libraries() -> None:
    out = io.StringIO()
    setup_logging(load_settings(log_level="info"), stream=out)
    logging.getLogger("adapters.slack").info("ours")
    logging.getLogger("apscheduler.scheduler").info("library chatter")
    logging.getLogger("httpx").warning("library warning")
    text = out.getvalue()
    assert "ours" in text and "library warning" in text
    assert "library chatter" not in text

    out = io.StringIO()
    setup_logging(load_settings(log_level="WARNING"), stream=out)
    logging.getLogger("bot.app").info("quiet now")
    assert out.getvalue() == ""

    out = io.StringIO()
    setup_logging(load_settings(), verbose=True, stream=out)
    logging.getLogger("apscheduler.scheduler").debug("everything with -v")
    assert "everything with -v" in out.getvalue()


def test_unknown_level_falls_back_to_info_and_says_so() -> None:
    out = io.StringIO()
    setup_logging(load_settings(log_level="chatty"), stream=out)
    logging.getLogger("bot.app").info("still logging")
    text = out.getvalue()
    assert "unknown AINEWS_LOG_LEVEL 'chatty'" in text and "still logging" in text


@pytest.mark.parametrize("as_json", [False, True])
def test_secrets_never_reach_the_output(as_json: bool) -> None:
    token, secret, password = "xoxb-1111-2222-abcdef", "s1gn1ng-s3cret", "pg-pass-word"
    settings = load_settings(
        log_json=as_json,
        slack_bot_token=token,
        slack_signing_secret=secret,
        database_url=f"postgresql://ainews:{password}@db:5432/ainews",
    )
    out = io.StringIO()
    setup_logging(settings, stream=out)
    log = logging.getLogger("bot.app")
    log.info("settings: %r", settings)  # SecretStr masks itself
    log.info("token %s and secret %s", token, secret)  # a careless message: scrubbed
    log.info("connecting to %s", settings.database_url)
    log.info("other url http://user:hunter2xyz@example.org/x", extra={"auth": token})
    try:
        raise ValueError(f"bad token {token}")
    except ValueError:
        log.exception("failed")
    text = out.getvalue()
    for value in (token, secret, password, "hunter2xyz"):
        assert value not in text
    assert "***" in text
    assert "postgresql://ainews:***@db:5432/ainews" in text


def test_redactor_keeps_ordinary_text() -> None:
    redact = Redactor(["ab", "longer-secret"])
    assert redact("ab cd longer-secret") == "ab cd ***"  # too-short values are not scrubbed
    assert redact("http://127.0.0.1:3000/healthz") == "http://127.0.0.1:3000/healthz"
    assert redact("postgresql://u:p@h/db") == "postgresql://u:***@h/db"


def test_cli_uses_json_logs(tmp_path: Path) -> None:
    """The CLI wires setup_logging: a warning from a command comes out as one JSON object."""
    code = (
        "import logging, sys\n"
        "import bot.cli\n"
        "bot.cli.cmd_stats = lambda a, s: logging.getLogger('bot.cli').warning('hi %s', 1) or 0\n"
        "sys.exit(bot.cli.main(['stats']))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "AINEWS_LOG_JSON": "true", "HOME": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    entry = json.loads(proc.stderr.strip().splitlines()[-1])
    assert entry["msg"] == "hi 1" and entry["level"] == "WARNING"
