"""``ainews doctor --online``, run as an admin would, against the local Slack and Discord fakes.

The CLI runs in a subprocess with ``AINEWS_SLACK_API_URL`` / ``AINEWS_DISCORD_API_URL``
pointing the real SDKs (slack_sdk, discord.py) at the fakes (tests/fakes), which answer with
Slack's and Discord's wire formats, ``X-OAuth-Scopes`` included.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fakes.discord import GUILD_ID, DiscordThread, Perm
from fakes.slack import FakeSlackAPI
from test_doctor import APP_TOKEN, BOT_TOKEN, DISCORD_TOKEN, SIGNING_SECRET, ainews, clean_env

from bot.app import slack_bot_scopes
from bot.core import Core
from bot.index.embedder import HashingEmbedder
from bot.models import Source, Subscription
from bot.settings import load_settings

OTHER_DISCORD_TOKEN = "OTg3NjU0MzIxMDk4NzY1NDMy.AbCdEf.zyxwvutsrqponmlkjihgfedcba9876543210ZY"


def doctor(tmp_path: Path, **env: str) -> tuple[int, dict[str, Any]]:
    proc = ainews("doctor", "--quick", "--online", "--json", cwd=tmp_path, env=clean_env(**env))
    assert proc.stdout, proc.stderr
    report = json.loads(proc.stdout)
    return proc.returncode, {c["area"]: c for c in report["checks"]}


def text(check: dict[str, Any]) -> str:
    return check["summary"] + " " + " ".join(check["hints"])


# -- Slack ----------------------------------------------------------------------------------


@pytest.fixture
def slack() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI(strict_tokens=True) as fake:
        fake.register_token(BOT_TOKEN)
        yield fake


def slack_env(fake: FakeSlackAPI, token: str = BOT_TOKEN) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "AINEWS_SLACK_API_URL": fake.base_url,
    }


def test_slack_token_with_every_manifest_scope(slack: FakeSlackAPI, tmp_path: Path) -> None:
    slack.default_workspace.scopes = tuple(sorted(slack_bot_scopes()))
    code, checks = doctor(tmp_path, **slack_env(slack))
    assert code == 0, checks
    assert checks["slack api"]["status"] == "ok" and "ainews in" in checks["slack api"]["summary"]
    assert [c.method for c in slack.calls()] == ["auth.test"]
    assert "discord api" not in checks and "feeds online" not in checks


def test_slack_invalid_auth_names_the_token(slack: FakeSlackAPI, tmp_path: Path) -> None:
    other = "xoxb-9999999999999-9999999999999-ZyXwVuTsRqPoNmLkJiHgFeDc"
    code, checks = doctor(tmp_path, **slack_env(slack, other))
    assert code == 1
    check = checks["slack api"]
    assert check["status"] == "fail" and "SLACK_BOT_TOKEN" in check["summary"]
    assert "invalid_auth" in check["summary"] and "OAuth & Permissions" in text(check)
    assert other not in json.dumps(checks)


def test_slack_missing_scopes_are_named(slack: FakeSlackAPI, tmp_path: Path) -> None:
    wanted = set(slack_bot_scopes())
    slack.default_workspace.scopes = tuple(sorted(wanted - {"users:read", "im:history"}))
    code, checks = doctor(tmp_path, **slack_env(slack))
    assert code == 1
    check = checks["slack api"]
    assert check["status"] == "fail"
    assert "lacks the scopes: im:history, users:read" in check["summary"]
    assert "reinstall the app" in text(check)


def test_socket_mode_app_token_is_asked_too(slack: FakeSlackAPI, tmp_path: Path) -> None:
    slack.default_workspace.scopes = tuple(sorted(slack_bot_scopes()))
    env = {**slack_env(slack), "SLACK_APP_TOKEN": APP_TOKEN}
    code, checks = doctor(tmp_path, **env)
    assert code == 1 and "refused SLACK_APP_TOKEN (invalid_auth)" in checks["slack api"]["summary"]
    assert "App-Level Tokens" in text(checks["slack api"])
    slack.register_token(APP_TOKEN)
    code, checks = doctor(tmp_path, **env)
    assert code == 0 and checks["slack api"]["status"] == "ok", checks
    assert [c.method for c in slack.calls()][-2:] == ["auth.test", "apps.connections.open"]


# -- Discord --------------------------------------------------------------------------------


@pytest.fixture
def discord() -> Iterator[DiscordThread]:
    thread = DiscordThread(token=DISCORD_TOKEN)
    yield thread
    thread.stop()


def register_command(fake: Any) -> None:
    fake.commands[None] = [
        {"id": "1", "application_id": str(fake.application_id), "name": "ainews", "type": 1}
    ]


def subscribe(url: str, channel_id: int) -> str:
    """A digest subscription for ``channel_id``, stored as the bot stores it."""
    core = Core.build(load_settings(database_url=url), embedder=HashingEmbedder())
    from sqlmodel import Session

    with Session(core.engine) as session:
        session.add(
            Subscription(platform="discord", workspace=str(GUILD_ID), channel=str(channel_id))
        )
        session.commit()
    core.close()
    return url


def test_discord_token_commands_and_permissions_ok(
    discord: DiscordThread, tmp_path: Path, database_url: str
) -> None:
    """Both backends: the subscribed channels are read from SQLite or Postgres."""
    fake = discord.fake
    register_command(fake)
    writable = fake.add_channel("ai-news")
    url = subscribe(database_url, int(writable["id"]))
    code, checks = doctor(
        tmp_path,
        DISCORD_TOKEN=DISCORD_TOKEN,
        AINEWS_DISCORD_API_URL=fake.api_base,
        AINEWS_DATABASE_URL=url,
    )
    assert code == 0, checks
    assert checks["discord api"]["status"] == "ok", checks["discord api"]
    assert fake.calls("GET", "/users/@me") and fake.calls("GET", "/commands")
    assert fake.calls("GET", f"/guilds/{GUILD_ID}/members/")


def test_discord_refused_token_is_named(discord: DiscordThread, tmp_path: Path) -> None:
    code, checks = doctor(
        tmp_path,
        DISCORD_TOKEN=OTHER_DISCORD_TOKEN,
        AINEWS_DISCORD_API_URL=discord.fake.api_base,
    )
    assert code == 1
    check = checks["discord api"]
    assert check["status"] == "fail" and "DISCORD_TOKEN" in check["summary"]
    assert "Reset Token" in text(check) and OTHER_DISCORD_TOKEN not in json.dumps(checks)


def test_discord_missing_permissions_and_command(discord: DiscordThread, tmp_path: Path) -> None:
    fake = discord.fake
    locked = fake.add_channel(
        "locked",
        permission_overwrites=[
            {"id": str(GUILD_ID), "type": 0, "allow": "0", "deny": str(Perm.SEND_MESSAGES)}
        ],
    )
    url = subscribe(f"sqlite:///{tmp_path / 'data' / 'ainews.db'}", int(locked["id"]))
    code, checks = doctor(
        tmp_path,
        DISCORD_TOKEN=DISCORD_TOKEN,
        AINEWS_DISCORD_API_URL=fake.api_base,
        AINEWS_DATABASE_URL=url,
    )
    assert code == 1
    check = checks["discord api"]
    assert check["status"] == "fail" and f"channel {locked['id']}" in check["summary"]
    assert "missing Send Messages" in text(check)
    assert "/ainews is not registered yet" in text(check)


# -- feeds ----------------------------------------------------------------------------------


class _Feeds(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        if self.path == "/ok.xml":
            body = (
                b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>"
                b"<item><title>a</title><link>http://x/a</link></item></channel></rss>"
            )
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
        else:
            body = b"gone"
            self.send_response(404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_each_enabled_feed_is_fetched_once(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Feeds)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    url = f"sqlite:///{tmp_path / 'data' / 'ainews.db'}"
    core = Core.build(load_settings(database_url=url), embedder=HashingEmbedder())
    from sqlmodel import Session

    with Session(core.engine) as session:
        session.add(Source(kind="feed", url=f"{base}/ok.xml", name="fine"))
        session.add(Source(kind="feed", url=f"{base}/gone.xml", name="gone"))
        session.add(Source(kind="feed", url=f"{base}/off.xml", name="off", enabled=False))
        session.commit()
    core.close()
    try:
        code, checks = doctor(
            tmp_path, AINEWS_DATABASE_URL=url, AINEWS_ALLOW_PRIVATE_NETWORKS="true"
        )
    finally:
        server.shutdown()
    assert code == 1
    check = checks["feeds online"]
    assert check["summary"] == "1 of 2 enabled feeds failed"
    (hint,) = check["hints"]
    assert "source 2 (gone" in hint and "404" in hint and "ainews sources remove 2" in hint
