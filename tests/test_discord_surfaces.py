"""Discord the way its users expect (issue 23): DMs with 👍/👎, votes that cannot be forged or
replayed, digests as forum posts or with a thread. discord.py's real client against the fake
Discord (the harness of tests/test_discord_adapter.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fakes.discord import (
    APPLICATION_ID,
    CHANNEL_ID,
    GUILD_ID,
    MEMBER_USER,
    MOD_USER,
    FakeDiscord,
    dm_channel_id,
    interaction_create_component,
)
from test_discord_adapter import (  # noqa: F401  (fixtures)
    adapter_for,
    custom_ids,
    fake,
    mention,
    running,
    service,
)

from bot.feedback import Feedback
from bot.service import Context, Service

FORUM_POSTS = "/threads"


async def _click(server: FakeDiscord, custom_id: str, message: dict[str, Any], **kw: Any) -> str:
    """Click a button; the ephemeral follow-up's text (what the clicker reads)."""
    click = interaction_create_component(custom_id, message=message, **kw)
    await server.dispatch("INTERACTION_CREATE", click)
    followup = await server.wait_for_call("POST", f"/webhooks/{APPLICATION_ID}/{click['token']}")
    return str(followup.json["content"])


def _carrying(message: dict[str, Any], custom_id: str) -> dict[str, Any]:
    """A copy of ``message`` whose first button has ``custom_id``."""
    copy = json.loads(json.dumps(message))
    copy["components"][0]["components"][0]["custom_id"] = custom_id
    return dict(copy)


async def test_dm_is_answered_and_votes_are_one_per_user_unforgeable_and_not_replayable(
    service: Service,  # noqa: F811
    fake: FakeDiscord,  # noqa: F811
    tmp_path: Path,
) -> None:
    feedback = Feedback(service.core.engine)
    dm = dm_channel_id(MEMBER_USER)
    async with running(adapter_for(service, fake, tmp_path)):
        answer = await mention(fake, "search Qwen", mentions=[], guild_id=None, channel_id=dm)
        assert answer.ok and answer.json["allowed_mentions"]["parse"] == []
        votes = [i for i in custom_ids(answer.json) if i.startswith("ainews:vote:")]
        assert votes and votes[0].startswith("ainews:vote:u:r:")
        message = fake.messages[int(answer.response["id"])]
        down = votes[1]
        assert down.startswith("ainews:vote:d:")
        where = {"channel_id": dm, "guild_id": None, "user": MEMBER_USER}

        assert "recorded" in await _click(fake, down, message, **where)
        assert "now 👍" in await _click(fake, votes[0], message, **where)
        assert [(r.kind, r.up, r.down) for r in feedback.summary()] == [("result", 1, 0)]

        # Replayed: the same interaction again is refused by Discord (already acknowledged),
        # and nothing is counted.
        click = interaction_create_component(down, message=message, **where)
        await fake.dispatch("INTERACTION_CREATE", click)
        await fake.wait_for_call("POST", f"/webhooks/{APPLICATION_ID}/{click['token']}")
        start = len(fake.rest_calls)
        await fake.dispatch("INTERACTION_CREATE", click)
        replay = await fake.wait_for_call("POST", f"/interactions/{click['id']}/", start=start)
        assert replay.status == 400
        assert [(r.up, r.down) for r in feedback.summary()] == [(0, 1)]

        # Forged: a message carrying an edited target, or the button copied to a message in
        # another channel (only a message's own components can be clicked).
        token = down.removeprefix("ainews:vote:d:")
        edited = "ainews:vote:u:r:999999." + token.split(".")[1]
        assert "not valid" in await _click(fake, edited, _carrying(message, edited), **where)
        moved = {"channel_id": CHANNEL_ID, "guild_id": GUILD_ID, "member": MOD_USER}
        elsewhere = dict(_carrying(message, votes[0]), channel_id=str(CHANNEL_ID))
        assert "not valid" in await _click(fake, votes[0], elsewhere, **moved)
        assert [(r.up, r.down) for r in feedback.summary()] == [(0, 1)]


async def test_forum_digest_is_one_post_per_day_titled_with_the_date(
    service: Service,  # noqa: F811
    fake: FakeDiscord,  # noqa: F811
    tmp_path: Path,
) -> None:
    forum = fake.add_channel("digests", type=15)
    ctx = Context(platform="discord", workspace=str(GUILD_ID), channel=forum["id"])
    assert not service.handle_text("subscribe 09:00 Europe/Madrid", ctx).error
    digest = service.handle_text("digest", ctx)
    async with running(adapter_for(service, fake, tmp_path)) as adapter:
        await adapter.send(str(GUILD_ID), forum["id"], digest, idempotency_key="sub1:2026-12-05")
        (post,) = fake.calls("POST", f"/channels/{forum['id']}{FORUM_POSTS}")
        assert post.ok and post.json["name"] == digest.text.splitlines()[0]
        assert post.json["name"].startswith("AI digest — ")
        assert post.json["message"]["allowed_mentions"] == {"parse": []}
        assert any(c.startswith("ainews:vote:") for c in custom_ids(post.json["message"]))
        # The same day's digest again (a resend after a crash): no second post.
        await adapter.send(str(GUILD_ID), forum["id"], digest, idempotency_key="sub1:2026-12-05")
        assert len(fake.calls("POST", f"/channels/{forum['id']}{FORUM_POSTS}")) == 1
        assert not fake.calls("POST", f"/channels/{forum['id']}/messages")


async def test_thread_yes_posts_the_digest_and_opens_a_thread_on_it(
    service: Service,  # noqa: F811
    fake: FakeDiscord,  # noqa: F811
    tmp_path: Path,
) -> None:
    ctx = Context(platform="discord", workspace=str(GUILD_ID), channel=str(CHANNEL_ID))
    confirmed = service.handle_text("subscribe 09:00 UTC thread=yes", ctx)
    assert not confirmed.error, confirmed.text
    digest = service.handle_text("digest", ctx)
    async with running(adapter_for(service, fake, tmp_path)) as adapter:
        await adapter.send(str(GUILD_ID), str(CHANNEL_ID), digest, idempotency_key="s:1")
        posts = f"/channels/{CHANNEL_ID}/messages"
        (posted,) = [c for c in fake.calls("POST", posts) if c.path == posts]
        message_id = posted.response["id"]
        (thread,) = fake.calls("POST", f"/channels/{CHANNEL_ID}/messages/{message_id}/threads")
        assert thread.ok and thread.json["name"] == digest.text.splitlines()[0]
        # Resent: Discord's nonce returns the same message; its thread is reused.
        await adapter.send(str(GUILD_ID), str(CHANNEL_ID), digest, idempotency_key="s:1")
        assert len(fake.messages_in(CHANNEL_ID)) == 1
