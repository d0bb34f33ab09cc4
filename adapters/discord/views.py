"""Persistent buttons: the ``custom_id`` carries the core's ``<token>.<verb>`` reference and nothing else.

    button = ActionButton("Xk3...q.confirm", label="Confirm", style="primary")
    client.add_dynamic_items(ActionButton)       # once: presses route here after any restart

discord.py rebuilds an :class:`ActionButton` from the ``custom_id`` of whatever
message was clicked (``DynamicItem``), so buttons keep working after the bot
restarts; the token is looked up in the database by the core router, which
decides whether the press is allowed, expired or already used.
"""
from __future__ import annotations

import re
from typing import Any

import discord

CUSTOM_ID_PREFIX = "chatops:"
REF = r"[A-Za-z0-9_\-]{1,64}\.[a-z][a-z0-9_-]{0,31}"
TEMPLATE = re.compile(rf"chatops:(?P<ref>{REF})")

STYLES = {
    "primary": discord.ButtonStyle.primary,
    "danger": discord.ButtonStyle.danger,
    "default": discord.ButtonStyle.secondary,
}


def custom_id(ref: str) -> str:
    return CUSTOM_ID_PREFIX + ref


def is_ours(custom_id_: str) -> bool:
    return TEMPLATE.fullmatch(custom_id_ or "") is not None


class ActionButton(discord.ui.DynamicItem[discord.ui.Button], template=TEMPLATE):
    """A button whose press calls ``router.handle_action(ref, invocation)`` through the bot."""

    def __init__(self, ref: str, *, label: str = "…", style: str | discord.ButtonStyle = "default",
                 row: int | None = None) -> None:
        if not re.fullmatch(REF, ref):
            raise ValueError(f"not an action reference: {ref!r}")
        button_style = style if isinstance(style, discord.ButtonStyle) else STYLES.get(style, STYLES["default"])
        super().__init__(discord.ui.Button(label=label[:80] or "…", style=button_style, custom_id=custom_id(ref)),
                         row=row)
        self.ref = ref

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str], /) -> "ActionButton":
        return cls(match["ref"], label=item.label or "…", style=item.style)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        bot = getattr(interaction.client, "chatops", None)
        if bot is None:  # a client without the adapter (should not happen): leave the press unanswered
            return
        await bot.handle_press(interaction, self.ref)
