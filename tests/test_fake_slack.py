"""Proves the fake Slack harness (tests/fakes/slack.py) with the real SDKs.

Outbound: ``slack_sdk.WebClient`` against ``FakeSlackAPI`` over real HTTP.
Inbound: a real ``slack_bolt.App`` served by ``BoltHTTPServer`` (threaded stdlib
``http.server`` -> ``app.dispatch(BoltRequest(...))``) on 127.0.0.1:0, receiving
signed, wire-format requests built from tests/data/slack/*.json.
"""

from __future__ import annotations

import json
import queue
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl

import pytest
from fakes.slack import (
    BOT_ID,
    BOT_USER_ID,
    CHANNEL_ID,
    TEAM_ID,
    USER_ID,
    BoltHTTPServer,
    FakeSlackAPI,
    app_mention_event,
    block_actions_body,
    block_actions_payload,
    http_request,
    load_sample,
    sign_request,
    slash_command_body,
    url_verification_body,
)
from slack_bolt import Ack, App, Respond, Say
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.oauth.installation_store import FileInstallationStore
from slack_sdk.oauth.state_store import FileOAuthStateStore

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TOKEN = "xoxb-test"

BLOCKS: list[dict[str, Any]] = [
    {
        "type": "section",
        "block_id": "article_1",
        "text": {"type": "mrkdwn", "text": "*<https://example.com/a|Model released>*"},
    },
    {
        "type": "actions",
        "block_id": "digest_actions",
        "elements": [
            {
                "type": "button",
                "action_id": "ainews_more",
                "text": {"type": "plain_text", "text": "More like this"},
                "value": "article:1",
            }
        ],
    },
]


@pytest.fixture
def fake() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI() as api:
        yield api


@pytest.fixture
def client(fake: FakeSlackAPI) -> WebClient:
    return WebClient(token=TOKEN, base_url=fake.base_url)


# --------------------------------------------------------------------------- WebClient


def test_post_message_is_recorded_with_its_blocks(fake: FakeSlackAPI, client: WebClient) -> None:
    resp = client.chat_postMessage(channel=CHANNEL_ID, text="AI digest", blocks=BLOCKS)

    assert resp["ok"] is True
    assert resp["channel"] == CHANNEL_ID
    assert resp["message"]["blocks"] == BLOCKS
    assert resp["message"]["bot_id"] == BOT_ID
    assert resp["message"]["user"] == BOT_USER_ID
    call = fake.wait_for("chat.postMessage", timeout=2)
    assert call.header("authorization") == f"Bearer {TOKEN}"
    assert call.token == TOKEN
    assert (call.header("content-type") or "").startswith("application/json")
    assert call.params["channel"] == CHANNEL_ID
    assert call.blocks == BLOCKS
    assert [m["ts"] for m in fake.messages(CHANNEL_ID)] == [resp["ts"]]


def test_form_encoded_methods_and_identity(fake: FakeSlackAPI, client: WebClient) -> None:
    fake.add_user("U0ADMIN001", name="root", is_admin=True, locale="es-ES")

    auth = client.auth_test()
    assert (auth["team_id"], auth["user_id"], auth["bot_id"]) == (TEAM_ID, BOT_USER_ID, BOT_ID)
    admin = client.users_info(user="U0ADMIN001", include_locale=True)["user"]
    assert admin["is_admin"] is True and admin["locale"] == "es-ES"
    assert client.users_info(user=USER_ID)["user"]["is_admin"] is False
    info = client.conversations_info(channel=CHANNEL_ID)["channel"]
    assert info["id"] == CHANNEL_ID and info["is_member"] is True

    call = fake.calls("users.info")[0]
    assert call.header("content-type") == "application/x-www-form-urlencoded"
    assert call.params == {"user": "U0ADMIN001", "include_locale": "1"}
    assert call.header("authorization") == f"Bearer {TOKEN}"
    client.api_call("apps.unknownMethod", params={"x": "1"})
    assert fake.unknown_methods() == ["apps.unknownMethod"]


def test_scripted_429_is_retried_by_rate_limit_handler(fake: FakeSlackAPI) -> None:
    retrying = WebClient(
        token=TOKEN,
        base_url=fake.base_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
    )
    fake.rate_limit_next("chat.postMessage", retry_after=1)

    resp = retrying.chat_postMessage(channel=CHANNEL_ID, text="digest")

    assert resp["ok"] is True
    first, second = fake.calls("chat.postMessage")
    assert (first.status, first.error, second.status) == (429, "ratelimited", 200)
    assert second.time - first.time >= 1.0  # slept for Retry-After


def test_429_without_retry_handler_surfaces_retry_after(
    fake: FakeSlackAPI, client: WebClient
) -> None:
    fake.rate_limit_next("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as exc:
        client.chat_postMessage(channel=CHANNEL_ID, text="digest")
    assert exc.value.response.status_code == 429
    assert exc.value.response.headers["Retry-After"] == "7"


def test_scripted_channel_not_found_raises_once(fake: FakeSlackAPI, client: WebClient) -> None:
    fake.fail_next("chat.postMessage", "channel_not_found")

    with pytest.raises(SlackApiError) as exc:
        client.chat_postMessage(channel=CHANNEL_ID, text="digest")

    assert exc.value.response.status_code == 200
    assert exc.value.response["error"] == "channel_not_found"
    assert client.chat_postMessage(channel=CHANNEL_ID, text="digest")["ok"] is True


def test_channel_state_rules(fake: FakeSlackAPI, client: WebClient) -> None:
    fake.add_channel("C0OUTSIDE1", name="outside", is_member=False)
    fake.archive_channel("C0ARCHIVE1")
    fake.delete_channel("C0DELETED1")
    errors = {}
    for channel in ("C0OUTSIDE1", "C0ARCHIVE1", "C0DELETED1"):
        with pytest.raises(SlackApiError) as exc:
            client.chat_postMessage(channel=channel, text="x")
        errors[channel] = exc.value.response["error"]
    assert errors == {
        "C0OUTSIDE1": "not_in_channel",
        "C0ARCHIVE1": "is_archived",
        "C0DELETED1": "channel_not_found",
    }
    assert client.conversations_join(channel="C0OUTSIDE1")["channel"]["is_member"] is True
    posted = client.chat_postMessage(channel="C0OUTSIDE1", text="x")
    updated = client.chat_update(channel="C0OUTSIDE1", ts=posted["ts"], text="y")
    assert updated["message"]["text"] == "y"

    too_many = [{"type": "divider"}] * 51
    with pytest.raises(SlackApiError) as exc:
        client.chat_postMessage(channel=CHANNEL_ID, text="x", blocks=too_many)
    assert exc.value.response["error"] == "invalid_blocks"


def test_oauth_v2_access_issues_workspace_token(fake: FakeSlackAPI) -> None:
    fake.client_id, fake.client_secret = "111.222", "shh"
    code = fake.issue_oauth_code(team_id="T0OTHER001")
    anon = WebClient(base_url=fake.base_url)

    resp = anon.oauth_v2_access(client_id="111.222", client_secret="shh", code=code)

    assert resp["team"]["id"] == "T0OTHER001" and resp["token_type"] == "bot"
    assert resp["bot_user_id"] and resp["access_token"].startswith("xoxb-")
    assert (fake.calls("oauth.v2.access")[0].header("authorization") or "").startswith("Basic ")
    assert anon.auth_test(token=resp["access_token"])["team_id"] == "T0OTHER001"
    with pytest.raises(SlackApiError) as exc:
        anon.oauth_v2_access(client_id="111.222", client_secret="shh", code=code)
    assert exc.value.response["error"] == "invalid_code"
    fake.revoke_token(resp["access_token"])
    with pytest.raises(SlackApiError) as exc:
        anon.auth_test(token=resp["access_token"])
    assert exc.value.response["error"] == "token_revoked"


def test_authorize_endpoint_redirects_with_code_and_state(fake: FakeSlackAPI) -> None:
    res = http_request(
        fake.authorize_url + "?client_id=1.2&scope=commands&state=st8"
        "&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fslack%2Foauth_redirect",
        method="GET",
    )
    assert res.status == 302
    location = res.header("location") or ""
    assert location.startswith("http://127.0.0.1:9/slack/oauth_redirect?")
    query = parse_qs(location.split("?", 1)[1])
    assert query["state"] == ["st8"] and query["code"]


# --------------------------------------------------------------------------- builders


def test_builders_produce_slack_wire_formats(fake: FakeSlackAPI) -> None:
    form = dict(parse_qsl(slash_command_body("hola", response_url=fake.response_url("x"))))
    assert list(form) == list(load_sample("slash_command.json"))
    assert form["command"] == "/ainews" and form["text"] == "hola"
    assert form["response_url"] == fake.response_url("x")

    envelope = app_mention_event("hi", thread_ts="1718000000.000100")
    assert envelope["type"] == "event_callback" and envelope["event_id"].startswith("Ev")
    assert envelope["event"]["text"] == f"<@{BOT_USER_ID}> hi"
    assert envelope["event"]["thread_ts"] == "1718000000.000100"
    assert envelope["authorizations"][0]["user_id"] == BOT_USER_ID

    body = block_actions_body("ainews_more", "article:9")
    assert list(dict(parse_qsl(body))) == ["payload"]
    payload = json.loads(dict(parse_qsl(body))["payload"])
    assert payload["type"] == "block_actions" and payload["actions"][0]["value"] == "article:9"
    assert "message" not in block_actions_payload(is_ephemeral=True)

    headers = sign_request("secret", "a=b", timestamp=1531420618)
    assert headers["X-Slack-Request-Timestamp"] == "1531420618"
    assert (
        headers["X-Slack-Signature"].startswith("v0=") and len(headers["X-Slack-Signature"]) == 67
    )


# --------------------------------------------------------------------------- Bolt over HTTP


@dataclass
class Bolt:
    server: BoltHTTPServer
    received: queue.Queue[tuple[str, dict[str, Any]]]

    def send(self, body: str, headers: dict[str, str] | None = None) -> Any:
        return self.server.post(body, headers or sign_request(SECRET, body))

    def next(self, kind: str) -> dict[str, Any]:
        got_kind, payload = self.received.get(timeout=5)
        assert got_kind == kind
        return payload


@pytest.fixture
def bolt(fake: FakeSlackAPI) -> Iterator[Bolt]:
    received: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
    # The token goes on the WebClient: bolt ignores App(token=...) when client= is given.
    app = App(signing_secret=SECRET, client=WebClient(token=TOKEN, base_url=fake.base_url))

    @app.command("/ainews")
    def on_command(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        ack()
        received.put(("command", command))
        respond(text=f"searching: {command['text']}", response_type="ephemeral")

    @app.event("app_mention")
    def on_mention(event: dict[str, Any], say: Say) -> None:
        received.put(("app_mention", event))
        say(text="on it", thread_ts=event["ts"])

    @app.action("ainews_more")
    def on_more(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        received.put(("action", body))
        respond(text="more coming", replace_original=False)

    with BoltHTTPServer(app) as server:
        yield Bolt(server, received)


def test_slash_command_acks_and_respond_reaches_response_url(
    fake: FakeSlackAPI, bolt: Bolt
) -> None:
    assert fake.calls("auth.test")[0].token == TOKEN  # bolt verified its token at start-up
    body = slash_command_body("latest openai", response_url=fake.response_url("cmd"))

    res = bolt.send(body)

    assert res.status == 200
    command = bolt.next("command")
    assert (command["text"], command["user_id"], command["channel_id"]) == (
        "latest openai",
        USER_ID,
        CHANNEL_ID,
    )
    post = fake.wait_for("response_url")
    assert post.response_url_name == "cmd"
    assert post.params["text"] == "searching: latest openai"
    assert post.params["response_type"] == "ephemeral"


def test_bad_signatures_are_rejected(fake: FakeSlackAPI, bolt: Bolt) -> None:
    body = slash_command_body("latest", response_url=fake.response_url("cmd"))
    forged = sign_request("not-the-secret", body)
    tampered = sign_request(SECRET, body.replace("latest", "other"))
    stale = sign_request(SECRET, body, timestamp=int(time.time()) - 6 * 60)

    statuses = [bolt.send(body, headers).status for headers in (forged, tampered, stale)]

    assert statuses == [401, 401, 401]
    assert bolt.received.empty()
    assert fake.response_posts() == []


def test_app_mention_reaches_handler_and_replies_in_thread(fake: FakeSlackAPI, bolt: Bolt) -> None:
    envelope = app_mention_event("what's new with open-weight models?")

    res = bolt.send(json.dumps(envelope))

    assert res.status == 200
    event = bolt.next("app_mention")
    assert event["text"].startswith(f"<@{BOT_USER_ID}>") and event["user"] == USER_ID
    call = fake.wait_for("chat.postMessage")
    assert call.token == TOKEN
    assert (call.params["channel"], call.params["thread_ts"]) == (CHANNEL_ID, event["ts"])


def test_block_actions_click_reaches_handler(fake: FakeSlackAPI, bolt: Bolt) -> None:
    body = block_actions_body("ainews_more", "article:42", response_url=fake.response_url("click"))

    res = bolt.send(body)

    assert res.status == 200
    payload = bolt.next("action")
    assert payload["actions"][0]["value"] == "article:42"
    post = fake.wait_for(lambda c: c.response_url_name == "click")
    assert post.params == {"text": "more coming", "replace_original": False}


def test_url_verification_handshake(bolt: Bolt) -> None:
    res = bolt.send(url_verification_body("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"))
    assert res.status == 200
    assert res.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}


def test_bolt_oauth_install_flow_end_to_end(fake: FakeSlackAPI, tmp_path: Path) -> None:
    fake.client_id, fake.client_secret = "111.222", "shh"
    store = FileInstallationStore(base_dir=str(tmp_path))
    settings = OAuthSettings(
        client_id="111.222",
        client_secret="shh",
        scopes=["commands", "chat:write"],
        installation_store=store,
        state_store=FileOAuthStateStore(expiration_seconds=600, base_dir=str(tmp_path)),
        authorization_url=fake.authorize_url,
        install_page_rendering_enabled=False,
    )
    app = App(
        signing_secret=SECRET, client=WebClient(base_url=fake.base_url), oauth_settings=settings
    )
    with BoltHTTPServer(app) as server:
        fake.redirect_uri = server.root_url + "/slack/oauth_redirect"
        install = server.get("/slack/install")  # -> 302 to the fake's authorize page
        cookie = (install.header("set-cookie") or "").split(";")[0]
        authorize = http_request(install.header("location") or "", method="GET")
        callback = http_request(
            authorize.header("location") or "", method="GET", headers={"Cookie": cookie}
        )

    assert (install.status, authorize.status, callback.status) == (302, 302, 200)
    installation = store.find_installation(enterprise_id=None, team_id=TEAM_ID)
    assert installation is not None and installation.bot_id == BOT_ID
    assert fake.tokens[installation.bot_token or ""] == TEAM_ID
