"""The install link: the bot's scopes and the smallest permission set it works with.

No Manage Channels or Mention Everyone: the bot never changes channels and never pings
anyone; subscribe/unsubscribe check the *user's* Manage Channels permission instead.
"""

from __future__ import annotations

import discord

SCOPES = ("bot", "applications.commands")


def permissions() -> discord.Permissions:
    return discord.Permissions(
        view_channel=True,  # see the channels it is mentioned in / posts digests to
        send_messages=True,  # answers and digests
        send_messages_in_threads=True,  # answers inside threads
        embed_links=True,  # answers are embeds
        attach_files=True,  # trend charts and OPML exports come as files
        read_message_history=True,  # replies reference the question they answer
        use_application_commands=True,  # /ainews
    )


def invite_url(application_id: str) -> str:
    """``https://discord.com/oauth2/authorize?client_id=...&scope=bot+applications.commands
    &permissions=...`` for the application (its "Application ID" in the developer portal)."""
    if not application_id.strip().isdigit():
        raise ValueError(f"not a Discord application id: {application_id!r}")
    return discord.utils.oauth_url(application_id.strip(), permissions=permissions(), scopes=SCOPES)
