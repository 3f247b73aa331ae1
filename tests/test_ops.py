"""Production behaviour: /healthz and /metrics, database outages, scheduler leadership."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SEEDS, make_settings
from sqlalchemy import text

from bot.core import Core
from bot.index.embedder import HashingEmbedder
from bot.ingest.files import iter_path
from bot.leader import LOCK_KEY, Leadership
from bot.service import Service
from bot.store import make_engine

AINEWS = str(Path(sys.executable).with_name("ainews"))


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.fixture
def headless(
    tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[str, str, subprocess.Popen[str]]]:
    """``ainews run --headless`` as a subprocess; yields its base URL and its metrics URL."""
    database = getattr(request, "param", None)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))},
        "AINEWS_DATA_DIR": str(tmp_path / "data"),
        "AINEWS_HTTP_HOST": "127.0.0.1",
        "AINEWS_HTTP_PORT": "0",
        "AINEWS_METRICS_PORT": "0",
        "AINEWS_SEEDS_DIR": str(SEEDS),
        "AINEWS_SUPERVISE_SECONDS": "0.5",
        "HF_HUB_OFFLINE": "1",
    }
    if database:
        env["AINEWS_DATABASE_URL"] = database
    process = subprocess.Popen(
        [AINEWS, "run", "--headless"],
        cwd=tmp_path,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    urls: dict[str, str] = {}
    deadline = time.monotonic() + 120
    assert process.stdout is not None
    while time.monotonic() < deadline and len(urls) < 2:
        line = process.stdout.readline()
        if not line:
            break
        if m := re.search(r"ainews (http|metrics) listening on (http://\S+)", line):
            urls[m.group(1)] = m.group(2)
    assert len(urls) == 2, f"the bot never said where it listens: {urls}"
    try:
        yield urls["http"], urls["metrics"], process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.mark.model
def test_healthz_and_metrics_on_sqlite(headless: tuple[str, str, subprocess.Popen[str]]) -> None:
    url, metrics_url, process = headless
    status, body = get(f"{url}/healthz")
    report = json.loads(body)
    assert status == 200 and report["ok"] is True
    assert report["database"] == "ok" and report["model"] == "loaded"
    assert report["scheduler_leader"] is True, "SQLite: the single process leads"
    assert report["indexed_vectors"] > 0
    assert get(f"{url}/metrics")[0] == 404, "metrics never on the public port"
    status, metrics = get(metrics_url)
    assert status == 200
    assert "ainews_scheduler_leader 1.0" in metrics and "ainews_index_vectors" in metrics
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 0


@pytest.mark.postgres
def test_database_outage_turns_health_red_and_commands_say_try_again(
    postgres_url: str, tmp_path: Path
) -> None:
    from pgserver import PostgresServer

    with PostgresServer() as pg:  # its own server: this test stops it
        core = Core.build(make_settings(tmp_path, database_url=pg.url), embedder=HashingEmbedder())
        core.ingester.ingest(iter_path(str(SEEDS)))
        service = Service(core)
        from bot.health import health

        assert health(core, [], None)["ok"] is True
        pg.stop()
        report = health(core, [], None)
        assert report["ok"] is False and report["database"].startswith("unavailable")
        for text_ in ("search Qwen", "buscar Qwen", "subscribe 09:00 UTC"):
            reply = service.handle_text(text_)
            assert reply.error and ("try again" in reply.text or "Inténtalo de nuevo" in reply.text)
        pg.restart()
        assert health(core, [], None)["ok"] is True
        assert service.handle_text("search Qwen").cards, "works again once the database is back"
        core.engine.dispose()


@pytest.mark.postgres
def test_one_leader_at_a_time_and_failover(postgres_url: str) -> None:
    first, second = make_engine(postgres_url), make_engine(postgres_url)
    a, b = Leadership(first), Leadership(second)
    assert a.check() is True
    assert b.check() is False
    with first.connect() as conn:  # the leader's session dies (as with SIGKILL)
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks "
                "WHERE locktype = 'advisory' AND objid = :key AND granted"
            ),
            {"key": LOCK_KEY},
        )
    assert b.check() is True, "the other replica takes over"
    assert a.check() is False and a.is_leader is False
    b.release()
    assert a.check() is True
    a.release()
    first.dispose()
    second.dispose()
