"""The built-in commands: help, whoami, ping, my. Registered through the ``chatops.commands``
entry point like any plugin's (see pyproject.toml).

``my`` is what a user looks for first (Slack's App Home shows the same): their open tickets, their
pending approvals, what they may run. Each optional part contributes its section through the
``chatops.home`` entry point group: a function ``section(ctx) -> list of blocks`` (empty: nothing
to show), like ``chatops.support.commands:home_section``; a section named like a plugin in
``CHATOPS_DISABLED_PLUGINS`` is left out with it."""
from __future__ import annotations

from chatops import messages, plugins
from chatops.commands import Category, CommandGroup
from chatops.context import Context
from chatops.errors import NotFound
from chatops.reply import Fields, Reply, Text
from chatops.text import clip

commands = CommandGroup("builtin")


@commands.command(category=Category.META)
def help(ctx: Context, command: str | None = None) -> Reply:  # noqa: A001 - the command is called help
    """List the commands you can run, or explain one.

    Args:
        command: a command name, for its usage and arguments
    """
    router = ctx.router
    if command:
        cmd = router.registry.get(command.lstrip("/"))
        if cmd is None or cmd.hidden or not router.allows(cmd, ctx.actor):
            suggestions = [s for s in router.registry.suggest(command)
                           if router.allows(router.registry.get(s), ctx.actor)]
            hint = messages.HELP_DID_YOU_MEAN.format(names=", ".join(f"`{s}`" for s in suggestions)) if suggestions else ""
            raise NotFound(messages.HELP_NO_SUCH_COMMAND.format(name=clip(command, 40, quoted=True), hint=hint),
                           hint=messages.HELP_FOR_THE_LIST)
        items = [(p.display + ("" if p.required else " (optional)"),
                  (p.help or p.type.arg_type.describe()) + (f" — one of {', '.join(p.choices)}" if p.choices else ""))
                 for p in cmd.params]
        blocks: list = [Text(messages.HELP_TITLE.format(name=cmd.name, summary=cmd.summary)),
                        Text(messages.USAGE_HINT.format(usage=cmd.usage))]
        if items:
            blocks.append(Fields(tuple(items), title="Arguments"))
        body = cmd.help[len(cmd.summary):].strip()
        if body:
            blocks.append(Text(body))
        if cmd.mutates:
            blocks.append(Text(messages.HELP_CHANGES_DATA))
        return Reply(tuple(blocks), ephemeral=True)
    visible = router.visible_commands(ctx.actor)
    by_category: dict[str, list[str]] = {}
    for cmd in visible:
        by_category.setdefault(cmd.category.label, []).append(f"`{cmd.usage}` — {cmd.summary}")
    blocks = [Text(messages.HELP_HEADER)]
    for label in sorted(by_category):
        blocks.append(Text(f"*{label.capitalize()}*\n" + "\n".join(by_category[label])))
    blocks.append(Text(messages.HELP_FOOTER))
    return Reply(tuple(blocks), ephemeral=True)


@commands.command(category=Category.META)
def whoami(ctx: Context) -> Reply:
    """Show who the bot thinks you are: person, community, tier and roles."""
    a = ctx.actor
    tier = a.tier
    items = [
        ("Person", a.person.name),
        ("Identity", f"{a.identity.platform}:{a.identity.user_id}"),
        ("Community", a.community.name if a.community else "none (not linked to a community)"),
        ("Tier", f"{tier.name} (rank {tier.rank})" if tier else "none"),
        ("Roles", ", ".join(sorted(a.roles)) or "none"),
    ]
    if tier and tier.first_response_minutes:
        items.append(("First response target", f"{tier.first_response_minutes} min"))
    return Reply((Fields(tuple(items)),), ephemeral=True)


@commands.command(category=Category.META)
def ping(ctx: Context) -> Reply:
    """Check that the bot is alive."""
    return Reply.text(f"pong ({ctx.now:%Y-%m-%d %H:%M:%S} UTC)", ephemeral=True)


HOME_GROUP = "chatops.home"
MAX_RUNNABLE = 40  # commands listed by name under "What you may run" (help has them all, with usage)


def home(ctx: Context) -> Reply:
    """The sections of ``my`` (and Slack's App Home) for ``ctx.actor``: each part's, then what they may run."""
    blocks: list = [Text(f"*{ctx.actor.person.name}* — what is yours right now")]
    for name, section in plugins.load_all(HOME_GROUP):
        if name in ctx.settings.disabled_plugins:  # CHATOPS_DISABLED_PLUGINS turns its section off too
            continue
        blocks.extend(section(ctx) or ())
    runnable = [c.name for c in ctx.router.visible_commands(ctx.actor)]
    shown = ", ".join(f"`{n}`" for n in runnable[:MAX_RUNNABLE])
    more = f" and {len(runnable) - MAX_RUNNABLE} more" if len(runnable) > MAX_RUNNABLE else ""
    blocks.append(Text(f"*What you may run*\n{shown}{more}. `help COMMAND` explains one."))
    return Reply(tuple(blocks), ephemeral=True)


@commands.command(category=Category.META)
def my(ctx: Context) -> Reply:
    """Your open tickets, your pending approvals and the commands you may run."""
    return home(ctx)
