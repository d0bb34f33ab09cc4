"""A core ``Reply`` → what Discord shows: message content, embeds and a view of buttons.

    out = render(reply)
    await interaction.followup.send(content=out.content, embeds=out.embeds, view=out.view,
                                    ephemeral=out.ephemeral)

``Text`` blocks become the message content (an error/warning/success style gets
a leading mark); ``Fields`` an embed with fields; a ``Timeline`` an embed whose
lines show Discord timestamps (``<t:…:f>``, in each reader's time zone);
``Buttons`` persistent :class:`~adapters.discord.views.ActionButton` rows.
Every message carries ``allowed_mentions`` (:func:`mentions`): only the users the
core named in ``Reply.mentions`` are notified; a mention, ``@everyone``, ``@here``
or a role typed by a user and quoted in a message pings no one.
Discord's limits are respected by clipping: 2,000 characters of content (more
text continues in embeds), 25 fields per embed, 10 embeds, 6,000 embed
characters, 25 buttons.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import discord

from adapters.discord.views import ActionButton
from chatops.reply import Buttons, Fields, Reply, Text, Timeline
from chatops.text import clip

MAX_CONTENT = 2000
MAX_DESCRIPTION = 4096
MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000
MAX_FIELDS = 25
MAX_BUTTONS = 25
MARKS = {"plain": "", "success": "✅ ", "warning": "⚠️ ", "error": "❌ "}
STEP_MARKS = {"done": "✓", "current": "→", "pending": "·", "error": "✗", "info": "•"}
COLORS = {"error": discord.Colour.red(), "warning": discord.Colour.gold(), "success": discord.Colour.green()}


NO_PINGS = discord.AllowedMentions.none()  # the client's default: every message without its own


def mentions(reply: Reply) -> discord.AllowedMentions:
    """Who the message may notify: the users in ``reply.mentions``, never everyone, a role or a replied user."""
    users = [discord.Object(int(u)) for u in reply.mentions if str(u).isdigit()]
    return discord.AllowedMentions(everyone=False, roles=False, replied_user=False, users=users or False)


@dataclass
class Rendered:
    content: str = ""
    embeds: list[discord.Embed] = field(default_factory=list)
    view: discord.ui.View | None = None
    ephemeral: bool = False
    allowed_mentions: discord.AllowedMentions = field(default_factory=lambda: NO_PINGS)

    def send_kwargs(self) -> dict:
        """Keyword arguments for ``Messageable.send`` / ``Webhook.send`` (never an empty message)."""
        kwargs: dict = {"content": self.content or (None if self.embeds else "Done."),
                        "allowed_mentions": self.allowed_mentions}
        if self.embeds:
            kwargs["embeds"] = self.embeds
        if self.view is not None:
            kwargs["view"] = self.view
        return kwargs

    def edit_kwargs(self) -> dict:
        """Keyword arguments for ``Webhook.edit_message`` that make the edited message this one and nothing
        else (an edit keeps what it is not given: no embeds and no view are said explicitly)."""
        return {"content": self.content or (None if self.embeds else "Done."), "embeds": list(self.embeds),
                "view": self.view, "allowed_mentions": self.allowed_mentions}


def is_error(reply: Reply) -> bool:
    return any(isinstance(b, Text) and b.style == "error" for b in reply.blocks)


def _colour(reply: Reply) -> discord.Colour:
    styles = {b.style for b in reply.blocks if isinstance(b, Text)}
    for style in ("error", "warning", "success"):
        if style in styles:
            return COLORS[style]
    return discord.Colour.blurple()


def _timestamp(step) -> str:
    return f"<t:{int(step.at.timestamp())}:f> " if step.at else ""


def render(reply: Reply) -> Rendered:
    colour = _colour(reply)
    texts: list[str] = []
    embeds: list[discord.Embed] = []
    buttons = []
    for block in reply.blocks:
        if isinstance(block, Text):
            texts.append(MARKS.get(block.style, "") + block.text)
        elif isinstance(block, Fields):
            items = list(block.items)
            for start in range(0, max(len(items), 1), MAX_FIELDS):
                embed = discord.Embed(title=clip(block.title, 256) if block.title and start == 0 else None,
                                      colour=colour)
                for name, value in items[start:start + MAX_FIELDS]:
                    value = str(value) or "—"
                    embed.add_field(name=clip(str(name) or "—", 256), value=clip(value, 1024), inline=len(value) <= 40)
                embeds.append(embed)
        elif isinstance(block, Timeline):
            steps, earlier = block.latest()
            lines = []
            for step in steps:
                line = f"{STEP_MARKS.get(step.status, '•')} {_timestamp(step)}{step.label}"
                if step.detail:
                    line += f" — {step.detail}"
                lines.append(clip(line, 1000))
            # the newest steps are the news: when even these are too long, the oldest of them go first
            while lines and len("\n".join([Timeline.earlier(earlier), *lines])) > MAX_DESCRIPTION:
                lines.pop(0)
                earlier += 1
            if earlier:
                lines.insert(0, Timeline.earlier(earlier))
            embeds.append(discord.Embed(title=clip(block.title, 256) if block.title else None,
                                        description="\n".join(lines), colour=colour))
        elif isinstance(block, Buttons):
            buttons.extend(block.buttons)
    content = "\n\n".join(texts)
    if len(content) > MAX_CONTENT:
        # Cut at a line break where one is near, and continue the rest in embed descriptions.
        cut = content.rfind("\n", MAX_CONTENT - 400, MAX_CONTENT)
        cut = cut if cut > 0 else MAX_CONTENT
        rest = content[cut:].lstrip("\n")
        content = content[:cut]
        spill = [discord.Embed(description=rest[i:i + MAX_DESCRIPTION], colour=colour)
                 for i in range(0, len(rest), MAX_DESCRIPTION)]
        embeds = spill + embeds
    embeds = _within_limits(embeds)
    view = None
    if buttons:
        view = discord.ui.View(timeout=None)
        for i, b in enumerate(buttons[:MAX_BUTTONS]):
            view.add_item(ActionButton(b.action_id, label=b.label, style=b.style, row=i // 5))
    return Rendered(content=content, embeds=embeds, view=view, ephemeral=reply.ephemeral,
                    allowed_mentions=mentions(reply))


def _within_limits(embeds: list[discord.Embed]) -> list[discord.Embed]:
    kept: list[discord.Embed] = []
    total = 0
    for embed in embeds[:MAX_EMBEDS]:
        size = len(embed)
        if total + size > MAX_EMBED_TOTAL:
            room = MAX_EMBED_TOTAL - total - len(embed.title or "") - 1
            if embed.description and room > 100 and not embed.fields:
                embed.description = clip(embed.description, room)
                kept.append(embed)
            break
        kept.append(embed)
        total += size
    return kept
