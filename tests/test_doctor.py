"""``ainews doctor``: run as a new user would, in an empty folder with nothing configured."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from pgserver import free_port

from bot import migrations
from bot.doctor import Check, Doctor, exit_code
from bot.settings import load_settings

PLATFORM_PREFIXES = ("SLACK_", "DISCORD_", "AINEWS_")
#: Well-formed but fake credentials, shaped as Slack and Discord issue them.
BOT_TOKEN = "xoxb-1234567890123-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
APP_TOKEN = "xapp-1-A0AINEWS01-1234567890123-" + "0123456789abcdef" * 4
SIGNING_SECRET = "0123456789abcdef0123456789abcdef"
DISCORD_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB"


def clean_env(**extra: str) -> dict[str, str]:
    """The caller's environment without any ainews, Slack or Discord setting."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(PLATFORM_PREFIXES)}
    env.update(HF_HUB_OFFLINE="1", **extra)
    return env


def ainews(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "ainews"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]
    return subprocess.run(
        [*command, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.model
def test_fresh_clone_explains_what_to_set(tmp_path: Path) -> None:
    proc = ainews("doctor", cwd=tmp_path, env=clean_env())
    out = proc.stdout
    assert proc.returncode == 0, out + proc.stderr
    # Slack: which variables, for which mode, and where the app comes from.
    assert "SLACK_BOT_TOKEN=xoxb-" in out and "SLACK_SIGNING_SECRET" in out
    assert "SLACK_APP_TOKEN=xapp-" in out and "Socket Mode" in out
    assert "SLACK_CLIENT_ID" in out and "SLACK_CLIENT_SECRET" in out
    # Discord: the token, where to get it, and the intent question.
    assert "DISCORD_TOKEN=<that token>" in out and "Reset Token" in out
    assert "Message Content intent is not needed" in out
    # Postgres: how to set it and that docker-compose provides it.
    assert "AINEWS_DATABASE_URL=postgresql://" in out and "docker-compose" in out
    assert "console mode" in out and "Ready" in out
    assert "loads in" in out  # the full check really loaded the model
    assert not (tmp_path / "data").exists(), "doctor must not create the database"


def test_json_report(tmp_path: Path) -> None:
    proc = ainews("doctor", "--quick", "--json", cwd=tmp_path, env=clean_env())
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    areas = {c["area"]: c for c in report["checks"]}
    assert report["ok"] is True
    assert {"settings", "database", "model", "seeds", "feeds", "slack", "discord", "run"} <= set(
        areas
    )
    assert areas["database"]["status"] == "ok" and areas["slack"]["status"] == "note"
    assert "not loaded: --quick" in areas["model"]["summary"]


def test_unreachable_postgres_blocks(tmp_path: Path) -> None:
    port = free_port()  # bound and released: nothing listens there
    url = f"postgresql://ainews:pg-secret-pw@127.0.0.1:{port}/ainews"
    proc = ainews("doctor", "--quick", cwd=tmp_path, env=clean_env(AINEWS_DATABASE_URL=url))
    out = proc.stdout
    assert proc.returncode == 1, out + proc.stderr
    assert "FAIL  database" in out and "unreachable" in out
    assert f"postgresql://ainews:***@127.0.0.1:{port}/ainews" in out
    assert "pg-secret-pw" not in out + proc.stderr
    assert "Not ready" in out


def test_half_configured_slack_blocks(tmp_path: Path) -> None:
    proc = ainews(
        "doctor", "--quick", cwd=tmp_path, env=clean_env(SLACK_BOT_TOKEN="xoxb-only-the-token")
    )
    assert proc.returncode == 1
    assert "SLACK_SIGNING_SECRET is missing" in proc.stdout
    assert "xoxb-only-the-token" not in proc.stdout


@pytest.mark.postgres
def test_reachable_postgres(postgres_url: str, tmp_path: Path) -> None:
    proc = ainews(
        "doctor", "--quick", cwd=tmp_path, env=clean_env(AINEWS_DATABASE_URL=postgres_url)
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "PostgreSQL 1" in proc.stdout and "unreachable" not in proc.stdout


# -- the checks themselves, without a subprocess -------------------------------------------------


def checks_for(tmp_path: Path, **overrides: object) -> tuple[dict[str, Check], int]:
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", **overrides)
    checks = Doctor(settings, quick=True, commands=set()).run()
    return {c.area: c for c in checks}, exit_code(checks)


def test_slack_modes(tmp_path: Path) -> None:
    http, code = checks_for(
        tmp_path, slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET
    )
    assert code == 0 and "HTTP mode" in http["slack"].summary

    socket, code = checks_for(tmp_path, slack_bot_token=BOT_TOKEN, slack_app_token=APP_TOKEN)
    assert code == 0 and "Socket Mode" in socket["slack"].summary

    oauth, code = checks_for(
        tmp_path,
        slack_client_id="1.2",
        slack_client_secret="c",
        slack_signing_secret=SIGNING_SECRET,
    )
    assert code == 0 and "OAuth" in oauth["slack"].summary

    wrong, code = checks_for(
        tmp_path, slack_bot_token="xoxp-user", slack_signing_secret=SIGNING_SECRET
    )
    assert code == 0 and wrong["slack"].status == "warn"

    half, code = checks_for(tmp_path, slack_app_token=APP_TOKEN)
    assert code == 1 and "SLACK_BOT_TOKEN" in " ".join(half["slack"].hints)


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        (
            {"slack_bot_token": "xoxb-example", "slack_signing_secret": SIGNING_SECRET},
            "SLACK_BOT_TOKEN",
        ),
        (
            {"slack_bot_token": BOT_TOKEN, "slack_signing_secret": "example-signing-secret"},
            "SLACK_SIGNING_SECRET",
        ),
        ({"slack_bot_token": BOT_TOKEN, "slack_app_token": "xapp-1"}, "SLACK_APP_TOKEN"),
        ({"discord_token": "a.b.c"}, "DISCORD_TOKEN"),
        (
            {"discord_token": "bm90LWFuLWlkLWF0LWFsbA" + DISCORD_TOKEN[24:]},
            "DISCORD_TOKEN",
        ),
    ],
)
def test_placeholder_tokens_are_refused_offline(
    tmp_path: Path, overrides: dict[str, str], named: str
) -> None:
    """``xoxb-example`` or ``a.b.c`` cannot work: doctor fails, naming the variable."""
    checks, code = checks_for(tmp_path, **overrides)
    area = "discord" if named == "DISCORD_TOKEN" else "slack"
    assert code == 1 and checks[area].status == "fail", checks[area]
    assert named in checks[area].summary + " ".join(checks[area].hints)
    secret = next(iter(overrides.values()))
    assert secret not in checks[area].summary + " ".join(checks[area].hints)


def test_well_formed_discord_token_passes_offline(tmp_path: Path) -> None:
    checks, code = checks_for(tmp_path, discord_token=DISCORD_TOKEN)
    assert code == 0 and checks["discord"].status == "ok"
    assert "slack api" not in checks, "offline: nothing is asked"


def test_existing_sqlite_counts_and_stays_unchanged(tmp_path: Path) -> None:
    from bot.core import Core
    from bot.index.embedder import HashingEmbedder

    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'x.db'}")
    Core.build(settings, embedder=HashingEmbedder()).engine.dispose()
    before = (tmp_path / "x.db").stat().st_mtime_ns
    checks, code = checks_for(tmp_path)
    assert code == 0 and "0 articles, 0 feeds" in checks["database"].summary
    assert f"schema {migrations.head()} (current)" in checks["database"].summary
    assert checks["feeds"].status == "note"
    assert (tmp_path / "x.db").stat().st_mtime_ns == before


def test_schema_revision_newer_or_older_than_the_code(tmp_path: Path) -> None:
    """``ainews run`` refuses a database a newer release upgraded: doctor says so first."""
    from bot.core import Core
    from bot.index.embedder import HashingEmbedder

    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'x.db'}")
    Core.build(settings, embedder=HashingEmbedder()).engine.dispose()
    with sqlite3.connect(tmp_path / "x.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    checks, code = checks_for(tmp_path)
    assert code == 1 and checks["database"].status == "fail"
    assert "9999_from_the_future (unknown to this code)" in checks["database"].summary
    assert "newer than this code" in checks["database"].hints[0]
    with sqlite3.connect(tmp_path / "x.db") as conn:
        conn.execute("DELETE FROM alembic_version")  # as made before migrations existed
    checks, code = checks_for(tmp_path)
    assert code == 0 and "schema from before migrations" in checks["database"].summary


def test_bad_database_urls(tmp_path: Path) -> None:
    for url, words in (
        ("postgres://u:p@127.0.0.1:1/db", "must be postgresql://"),
        ("not a url", "not a database URL"),
    ):
        settings = load_settings(database_url=url)
        checks = Doctor(settings, quick=True, commands=set()).run()
        database = next(c for c in checks if c.area == "database")
        assert exit_code(checks) == 1 and words in database.summary, database


def test_unwritable_sqlite_folder_blocks(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root can write anywhere")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    settings = load_settings(database_url=f"sqlite:///{locked / 'sub' / 'x.db'}")
    checks = Doctor(settings, quick=True, commands=set()).run()
    assert exit_code(checks) == 1


def test_a_malformed_ops_channel_is_named(tmp_path: Path) -> None:
    checks, code = checks_for(tmp_path, ops_channel="#ops")
    assert code == 1 and checks["settings"].status == "fail"
    assert (
        "AINEWS_OPS_CHANNEL=#ops is not valid: use slack:C0123ABCD" in checks["settings"].hints[-1]
    )
    checks, code = checks_for(tmp_path, ops_channel="slack:T0123/C0456")
    assert checks["settings"].status == "ok"
