"""Persistent buttons: one ``DynamicItem`` matching every ``ainews:*`` custom_id.

Registered with ``Client.add_dynamic_items`` in ``setup_hook``, so a click on any ainews
button - also on a message sent before a restart - reaches the running client: discord.py
rebuilds the button from the clicked message and calls ``ActionButton.callback``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from adapters.discord import ids
from adapters.discord.render import ButtonSpec

if TYPE_CHECKING:
    from typing import Self


class ActionButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=ids.TEMPLATE):
    def __init__(self, spec: ButtonSpec) -> None:
        super().__init__(
            discord.ui.Button(label=spec.label, style=spec.style, custom_id=spec.custom_id)
        )
        self.spec = spec

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        button = item if isinstance(item, discord.ui.Button) else None
        label = (button.label if button else None) or "…"
        style = button.style if button else discord.ButtonStyle.secondary
        return cls(ButtonSpec(match.group(0), label, style))

    async def callback(self, interaction: discord.Interaction) -> None:
        parsed = ids.parse(self.spec.custom_id)
        on_button = getattr(interaction.client, "on_button", None)
        if parsed is not None and on_button is not None:
            await on_button(interaction, *parsed)


def build_view(buttons: list[ButtonSpec]) -> discord.ui.View:
    """The page's buttons as a view to send; ``MISSING`` (falsy: "no view" to every discord.py
    send/edit method) when there are none.

    The view is returned already stopped: its components are still serialized, but
    discord.py does not track it per message (no memory per message sent, no 15-minute
    timeout task for ephemeral ones, and no chance that expiring it unregisters the shared
    dynamic item). Clicks reach ``ActionButton`` through ``Client.add_dynamic_items``.
    """
    if not buttons:
        return discord.utils.MISSING
    view = discord.ui.View(timeout=None)
    for spec in buttons:
        view.add_item(ActionButton(spec))
    view.stop()
    return view
