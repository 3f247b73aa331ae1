"""Discord adapter: ``@ainews`` mentions, the ``/ainews`` command group, embeds and digests.

Built on discord.py; see ``adapter.DiscordAdapter`` (the ``bot.ports.Adapter``),
``bot.AINewsClient`` (events), ``render`` (Reply -> embeds within Discord's limits),
``views``/``ids`` (persistent buttons) and ``invite`` (the install URL).
"""

from adapters.discord.adapter import DiscordAdapter
from adapters.discord.invite import invite_url

__all__ = ["DiscordAdapter", "invite_url"]
