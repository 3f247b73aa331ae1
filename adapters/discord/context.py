"""Who is asking, where, and may they change the channel: a ``Context`` from a Discord event.

Changing a channel's subscription or the sources needs Manage Channels *in that channel*:
Discord resolves it for interactions (``interaction.permissions`` = roles + channel
overwrites); for mentions it is computed from the cached roles and overwrites of the channel
(or of a thread's parent). In a DM the user is the only member, so they manage it.
"""

from __future__ import annotations

import discord

from bot.service import Context

PLATFORM = "discord"
REFUSAL = "needs_manage_channels"


def workspace_of(guild_id: int | None, user_id: int) -> str:
    """The guild id; DMs are per user so ``subscriptions`` never lists someone else's DM."""
    return str(guild_id) if guild_id is not None else f"dm-{user_id}"


def from_message(message: discord.Message) -> Context:
    author = message.author
    if message.guild is None:
        can_manage = True
    elif isinstance(author, discord.Member) and not isinstance(
        message.channel, discord.PartialMessageable
    ):
        can_manage = message.channel.permissions_for(author).manage_channels
    else:
        can_manage = False
    return Context(
        platform=PLATFORM,
        workspace=workspace_of(message.guild.id if message.guild else None, author.id),
        channel=str(message.channel.id),
        user=str(author.id),
        can_manage=can_manage,
        refusal=REFUSAL,
    )


def from_interaction(interaction: discord.Interaction) -> Context:
    user = interaction.user
    can_manage = interaction.guild_id is None or interaction.permissions.manage_channels
    return Context(
        platform=PLATFORM,
        workspace=workspace_of(interaction.guild_id, user.id),
        channel=str(interaction.channel_id),
        user=str(user.id),
        can_manage=can_manage,
        refusal=REFUSAL,
    )


def locale_lang(interaction: discord.Interaction) -> str:
    """``es`` for Spanish Discord clients (es-ES, es-419), else ``en``."""
    return "es" if str(interaction.locale.value).startswith("es") else "en"
