"""The local fake Discord (tests/fakes/discord.py) works with discord.py's real client."""

from __future__ import annotations

import asyncio
import io
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands
from fakes.discord import (
    APPLICATION_ID,
    BOT_USER,
    CHANNEL_ID,
    GUILD_ID,
    MEMBER_USER,
    MOD_USER,
    MODS_ROLE_ID,
    FakeDiscord,
    Intents,
    Perm,
    dm_channel_id,
    interaction_create_component,
    interaction_create_slash,
    message_create,
)

MESSAGES = f"/channels/{CHANNEL_ID}/messages"


class PongClient(discord.Client):
    """Replies "pong" + an embed to every message that mentions it, pinging nobody."""

    def __init__(self, *, message_content: bool = True, members: bool = False) -> None:
        intents = discord.Intents.default()
        intents.message_content = message_content
        intents.members = members
        super().__init__(intents=intents, guild_ready_timeout=0.05)
        self.seen: list[discord.Message] = []

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        pass  # discord.py sleeps 5 s before every non-initial IDENTIFY; not needed locally

    async def on_message(self, message: discord.Message) -> None:
        self.seen.append(message)
        assert self.user is not None
        if message.author.id == self.user.id or self.user not in message.mentions:
            return
        await message.channel.send(
            "pong",
            embed=discord.Embed(title="t"),
            allowed_mentions=discord.AllowedMentions.none(),
        )


class TreeClient(discord.Client):
    """``/ainews search query:str`` (deferred + follow-up), ``/ainews help`` (immediate,
    ephemeral) and a persistent "More" button that edits its message."""

    def __init__(self) -> None:
        super().__init__(intents=discord.Intents.default(), guild_ready_timeout=0.05)
        self.tree = app_commands.CommandTree(self)
        self.invocations: list[dict[str, Any]] = []
        group = app_commands.Group(name="ainews", description="AI news")

        @group.command(name="search", description="Search the news")
        @app_commands.describe(query="What to look for")
        async def search(interaction: discord.Interaction, query: str) -> None:
            self.invocations.append(
                {
                    "query": query,
                    "manage_channels": interaction.permissions.manage_channels,
                    "app_send": interaction.app_permissions.send_messages,
                    "user": interaction.user.id,
                }
            )
            await interaction.response.defer(thinking=True)
            await interaction.followup.send(f"results for {query}", view=MoreView())

        @group.command(name="help", description="How to use the bot")
        async def help_(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("usage: /ainews search", ephemeral=True)

        self.tree.add_command(group)

    async def setup_hook(self) -> None:
        self.add_view(MoreView())
        await self.tree.sync()


class MoreView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="More", custom_id="ainews:more", style=discord.ButtonStyle.secondary)
    async def more(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        await interaction.response.edit_message(content="page 2", view=None)


@asynccontextmanager
async def running(client: discord.Client) -> AsyncIterator[asyncio.Task[None]]:
    """Run ``client.start()`` as a task until READY; close it and check nothing leaks."""
    before = asyncio.all_tasks()
    threads_before = set(threading.enumerate())
    task = asyncio.create_task(client.start("fake-token"))
    try:
        await asyncio.wait_for(client.wait_until_ready(), 5)
        yield task
    finally:
        await client.close()
        await asyncio.wait_for(task, 5)
    # aiohttp/discord.py finish their close callbacks a few loop turns later (later still on a
    # loaded machine): give them a bounded grace period, then anything still running leaked.
    deadline = asyncio.get_running_loop().time() + 2
    while (leaked := [t for t in asyncio.all_tasks() - before if not t.done()]) and (
        asyncio.get_running_loop().time() < deadline
    ):
        await asyncio.sleep(0.02)
    assert not leaked, leaked
    for thread in set(threading.enumerate()) - threads_before:  # discord.py's KeepAliveHandler
        thread.join(2)
        assert not thread.is_alive(), thread


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        yield server


def sends(call_path: str = MESSAGES) -> Callable[[Any], bool]:
    return lambda c: c.method == "POST" and c.path == call_path


async def test_points_discord_py_at_the_fake_and_restores() -> None:
    real_base = discord.http.Route.BASE
    real_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    async with FakeDiscord() as fake:
        assert discord.http.Route.BASE == fake.api_base
        assert str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY) == fake.gateway_url
        assert fake.api_base.startswith("http://127.0.0.1:")
        assert fake.api_base.endswith("/api/v10")
    assert discord.http.Route.BASE == real_base == "https://discord.com/api/v10"
    assert discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY == real_gateway


async def test_mention_gets_pong_with_embed_and_no_pings(fake: FakeDiscord) -> None:
    client = PongClient()
    async with running(client):
        assert client.user is not None and client.user.id == int(BOT_USER["id"])
        assert client.application_id == APPLICATION_ID
        identify = fake.identify_payloads[0]
        assert identify["token"] == "fake-token"
        assert fake.intents == client.intents.value
        assert fake.intents & Intents.MESSAGE_CONTENT
        assert fake.gateway_connections[0].query["compress"] == "zlib-stream"

        guild = client.get_guild(GUILD_ID)
        assert guild is not None and guild.name == "AI News Lab"
        channel = guild.get_channel(CHANNEL_ID)
        assert isinstance(channel, discord.TextChannel)
        # Without the members intent GUILD_CREATE carries only the bot's own member.
        assert [m.id for m in guild.members] == [client.user.id]
        assert channel.permissions_for(guild.me).send_messages
        assert not channel.permissions_for(guild.me).manage_channels

        # Not mentioned: no reply (and the message content intent delivers the content).
        await fake.dispatch("MESSAGE_CREATE", message_create("just chatting", mentions=[]))
        await fake.wait_until(lambda: len(client.seen) == 1)
        assert client.seen[0].content == "just chatting"

        await fake.dispatch("MESSAGE_CREATE", message_create("what's new with Qwen?"))
        call = await fake.wait_for(sends())
        assert call.ok
        assert call.headers["Authorization"] == "Bot fake-token"
        # Exactly what discord.py 2.7 sends (it adds a random nonce it enforces).
        assert call.json == {
            "content": "pong",
            "embeds": [{"flags": 0, "type": "rich", "title": "t"}],
            "components": [],
            "nonce": call.json["nonce"],
            "enforce_nonce": True,
            "tts": False,
            "allowed_mentions": {"parse": []},
        }
        assert call.response["nonce"] == call.json["nonce"]
        assert call.response["author"]["id"] == BOT_USER["id"]
        assert call.response["mentions"] == []
        # The bot's own message comes back over the gateway (and is ignored by the client).
        bot_id = int(BOT_USER["id"])
        await fake.wait_until(lambda: any(m.author.id == bot_id for m in client.seen))
        assert len(fake.calls("POST", MESSAGES)) == 1


async def test_slash_group_command_and_button(fake: FakeDiscord) -> None:
    client = TreeClient()
    async with running(client):
        synced = fake.calls("PUT", f"/applications/{APPLICATION_ID}/commands")
        assert len(synced) == 1 and synced[0].ok
        (command,) = synced[0].json
        assert command["name"] == "ainews" and command["type"] == 1
        sub = {o["name"]: o for o in command["options"]}
        assert sub["search"]["type"] == 1
        assert sub["search"]["options"][0] == {
            **sub["search"]["options"][0],
            "name": "query",
            "type": 3,
            "required": True,
        }
        command_id = fake.command_id("ainews")
        assert command_id is not None and str(command_id) == synced[0].response[0]["id"]

        payload = interaction_create_slash(
            "ainews", "search", {"query": "Qwen"}, command_id=command_id
        )
        assert payload["member"]["permissions"] != "0"
        await fake.dispatch("INTERACTION_CREATE", payload)
        callback = await fake.wait_for_call("POST", f"/interactions/{payload['id']}/")
        assert callback.ok and callback.json["type"] == 5
        assert callback.query["with_response"] == "1"
        assert callback.response["resource"]["message"]["flags"] & 128  # "thinking"
        followup = await fake.wait_for_call(
            "POST", f"/webhooks/{APPLICATION_ID}/{payload['token']}"
        )
        assert followup.ok and followup.json["content"] == "results for Qwen"
        assert followup.query["wait"] == "1"
        assert client.invocations == [
            {
                "query": "Qwen",
                "manage_channels": True,
                "app_send": True,
                "user": int(MOD_USER["id"]),
            }
        ]
        # The follow-up replaced the deferred placeholder: same message id, now with a button.
        message = fake.messages[int(followup.response["id"])]
        assert message["id"] == callback.response["resource"]["message"]["id"]
        assert message["components"][0]["components"][0]["custom_id"] == "ainews:more"

        # Immediate, ephemeral response (type 4, flags 64) from a plain member.
        help_payload = interaction_create_slash("ainews", "help", {}, member=MEMBER_USER)
        assert help_payload["member"]["permissions"] != payload["member"]["permissions"]
        await fake.dispatch("INTERACTION_CREATE", help_payload)
        call = await fake.wait_for_call("POST", f"/interactions/{help_payload['id']}/")
        assert call.json["type"] == 4
        assert call.json["data"]["content"] == "usage: /ainews search"
        assert call.json["data"]["flags"] == 64
        assert call.response["interaction"]["response_message_ephemeral"] is True

        # A click on the persistent button edits the message in place (type 7).
        click = interaction_create_component("ainews:more", message=message)
        await fake.dispatch("INTERACTION_CREATE", click)
        call = await fake.wait_for_call("POST", f"/interactions/{click['id']}/")
        assert call.json["type"] == 7 and call.json["data"]["content"] == "page 2"
        assert fake.messages[int(message["id"])]["content"] == "page 2"
        assert fake.messages[int(message["id"])]["components"] == []

        # Discord refuses a second acknowledgement.
        async with aiohttp.ClientSession() as http:
            url = f"{fake.api_base}/interactions/{click['id']}/{click['token']}/callback"
            async with http.post(url, json={"type": 6}) as resp:
                assert resp.status == 400
                assert await resp.json() == {
                    "message": "Interaction has already been acknowledged.",
                    "code": 40060,
                }


async def test_disconnect_mid_session_resumes_and_replays(fake: FakeDiscord) -> None:
    client = PongClient()
    resumed = asyncio.Event()
    client.event(_on_resumed(resumed))
    async with running(client):
        await fake.dispatch("MESSAGE_CREATE", message_create("first"))
        await fake.wait_for(sends())

        await fake.disconnect_client(code=4000)
        # Sent while the client is away: Discord buffers it and replays it on RESUME.
        await fake.dispatch("MESSAGE_CREATE", message_create("while you were away"))
        await fake.wait_for_resume(timeout=5)
        await asyncio.wait_for(resumed.wait(), 5)
        assert fake.resume_count == 1 and fake.identify_count == 1
        assert fake.gateway_connections[-1].path == "/resume-gateway"
        assert fake.session is not None
        assert fake.resume_payloads[0]["session_id"] == fake.session.session_id
        assert [f["d"]["content"].split("> ", 1)[1] for f in fake.replayed] == [
            "while you were away"
        ]
        await fake.wait_until(lambda: len(fake.calls("POST", MESSAGES)) == 2)

        await fake.dispatch("MESSAGE_CREATE", message_create("after the resume"))
        await fake.wait_until(lambda: len(fake.calls("POST", MESSAGES)) == 3)
        contents = [m.content for m in client.seen if m.author.id != int(BOT_USER["id"])]
        assert [c.split("> ", 1)[1] for c in contents] == [
            "first",
            "while you were away",
            "after the resume",
        ]

        # A network drop without a close frame also ends in a RESUME.
        await fake.disconnect_client(code=None)
        await fake.wait_for_resume(2, timeout=8)
        await fake.dispatch("MESSAGE_CREATE", message_create("still there?"))
        await fake.wait_until(lambda: len(fake.calls("POST", MESSAGES)) == 4)
        assert fake.identify_count == 1

        # 4009 "session timed out": the RESUME gets INVALID_SESSION, the client IDENTIFYs anew.
        await fake.disconnect_client(code=4009)
        await fake.wait_for_identify(2, timeout=5)
        assert fake.invalid_session_count == 1 and fake.resume_count == 2
        await asyncio.wait_for(client.wait_until_ready(), 5)
        await fake.dispatch("MESSAGE_CREATE", message_create("new session"))
        await fake.wait_until(lambda: len(fake.calls("POST", MESSAGES)) == 5)


def _on_resumed(flag: asyncio.Event) -> Callable[[], Any]:
    async def on_resumed() -> None:
        flag.set()

    return on_resumed


async def test_scripted_failures_use_discords_errors(fake: FakeDiscord) -> None:
    read_only = fake.add_channel(
        "announcements",
        permission_overwrites=[
            {"id": GUILD_ID, "type": 0, "allow": 0, "deny": Perm.SEND_MESSAGES},
            {"id": MODS_ROLE_ID, "type": 0, "allow": Perm.SEND_MESSAGES, "deny": 0},
        ],
    )
    client = PongClient()
    async with running(client):
        channel = client.get_channel(CHANNEL_ID)
        assert isinstance(channel, discord.TextChannel)

        fake.fail_next("POST /channels/", status=404)
        with pytest.raises(discord.NotFound) as not_found:
            await channel.send("x")
        assert not_found.value.code == 10003 and not_found.value.text == "Unknown Channel"

        fake.fail_next(MESSAGES, status=403)
        with pytest.raises(discord.Forbidden) as forbidden:
            await channel.send("x")
        assert forbidden.value.code == 50013

        fake.fail_next(MESSAGES, status=429, retry_after=0.05)
        start = len(fake.rest_calls)
        sent = await channel.send("after the rate limit")
        limited, ok = fake.calls("POST", MESSAGES)[-2:]
        assert limited.index >= start and limited.status == 429 and limited.scripted
        assert limited.response == {
            "message": "You are being rate limited.",
            "retry_after": 0.05,
            "global": False,
        }
        assert ok.ok and sent.id == int(ok.response["id"])

        # Real validation, not scripted: Discord's limits give 50035 Invalid Form Body.
        with pytest.raises(discord.HTTPException) as too_long:
            await channel.send("x" * 2001)
        assert too_long.value.status == 400 and too_long.value.code == 50035
        with pytest.raises(discord.NotFound) as unknown:
            await client.http.send_message(CHANNEL_ID + 1, params=_params("hi"))
        assert unknown.value.code == 10003
        # Permissions come from roles + channel overwrites: @everyone may not post here.
        announcements = client.get_channel(int(read_only["id"]))
        assert isinstance(announcements, discord.TextChannel)
        assert not announcements.permissions_for(announcements.guild.me).send_messages
        with pytest.raises(discord.Forbidden) as denied:
            await announcements.send("news")
        assert denied.value.code == 50013 and not fake.calls("POST", str(read_only["id"]))[0].ok


def _params(content: str) -> Any:
    from discord.http import handle_message_parameters

    return handle_message_parameters(content=content)


async def test_privileged_intents_refused_when_not_enabled() -> None:
    async with FakeDiscord(allowed_privileged_intents=0) as fake:
        client = PongClient()
        with pytest.raises(discord.PrivilegedIntentsRequired):
            await asyncio.wait_for(client.start("fake-token"), 5)
        await client.close()
        assert fake.identify_count == 0


async def test_without_message_content_intent_only_mentions_have_content(
    fake: FakeDiscord,
) -> None:
    client = PongClient(message_content=False)
    async with running(client):
        assert fake.intents is not None and not fake.intents & Intents.MESSAGE_CONTENT
        await fake.dispatch("MESSAGE_CREATE", message_create("secret", mentions=[]))
        await fake.dispatch("MESSAGE_CREATE", message_create("hello bot"))
        await fake.wait_until(lambda: len(client.seen) >= 2)
        assert client.seen[0].content == ""
        assert client.seen[1].content.endswith("hello bot")


async def test_members_intent_gets_members_and_role_permissions(fake: FakeDiscord) -> None:
    client = PongClient(members=True)
    async with running(client):
        guild = client.get_guild(GUILD_ID)
        assert guild is not None and guild.chunked
        mod = guild.get_member(int(MOD_USER["id"]))
        member = guild.get_member(int(MEMBER_USER["id"]))
        assert mod is not None and member is not None
        assert [r.name for r in mod.roles] == ["@everyone", "Mods"]
        assert mod.guild_permissions.manage_channels
        assert not member.guild_permissions.manage_channels
        channel = guild.get_channel(CHANNEL_ID)
        assert isinstance(channel, discord.TextChannel)
        assert channel.permissions_for(mod).manage_channels
        assert guild.owner is not None and guild.owner.guild_permissions.administrator


async def test_files_edits_replies_and_dms(fake: FakeDiscord) -> None:
    client = PongClient()
    async with running(client):
        channel = client.get_channel(CHANNEL_ID)
        assert isinstance(channel, discord.TextChannel)

        sent = await channel.send("digest", file=discord.File(io.BytesIO(b"hello"), "digest.md"))
        upload = fake.calls("POST", MESSAGES)[-1]
        assert upload.json["content"] == "digest"  # from the multipart payload_json part
        assert [(f.field, f.filename, f.data) for f in upload.files] == [
            ("files[0]", "digest.md", b"hello")
        ]
        assert sent.attachments[0].filename == "digest.md" and sent.attachments[0].size == 5

        edited = await sent.edit(content="digest v2")
        assert edited.edited_at is not None
        patch = fake.calls("PATCH", f"{MESSAGES}/{sent.id}")[-1]
        assert patch.json["content"] == "digest v2"
        assert fake.messages[sent.id]["content"] == "digest v2"

        question = message_create("any news?", mentions=[])
        await fake.dispatch("MESSAGE_CREATE", question)
        await fake.wait_until(lambda: any(m.id == int(question["id"]) for m in client.seen))
        original = next(m for m in client.seen if m.id == int(question["id"]))
        reply = await original.reply("yes", mention_author=False)
        assert reply.reference is not None and reply.reference.message_id == original.id
        call = fake.calls("POST", MESSAGES)[-1]
        assert call.json["message_reference"]["message_id"] == original.id
        assert call.json["allowed_mentions"]["replied_user"] is False
        assert call.response["type"] == 19 and call.response["mentions"] == []

        # A DM from a user: the DM channel exists once they wrote, the reply goes there.
        dm = message_create("hi in private", guild_id=None)
        await fake.dispatch("MESSAGE_CREATE", dm)
        dm_channel = dm_channel_id(MEMBER_USER)
        call = await fake.wait_for_call("POST", f"/channels/{dm_channel}/messages")
        assert call.ok and call.json["content"] == "pong"
