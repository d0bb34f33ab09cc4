"""Commands the Slack tests drive: every parameter kind, a confirm flow, buttons, posts elsewhere."""
from __future__ import annotations

import threading
from typing import Literal

from chatops import Buttons, Category, CommandGroup, Context, Email, FreeText, Reply, UserRef
from chatops.context import ActionPress
from chatops.reply import Destination, Fields, Post, Step, Text, Timeline
from chatops.models import Person

group = CommandGroup("slack-sample")
CALLS: list[tuple[str, dict]] = []
GATE = threading.Event()      # `wait-gate` blocks on it: proves the ack does not wait for the work
STARTED = threading.Event()


@group.command("slk-greet", category=Category.SUPPORT)
def greet(ctx: Context, name: str) -> Reply:
    """Greet someone in the channel.

    Args:
        name: who to greet
    """
    return Reply.of(Text(f"Hello {name} <!channel>"),
                    Fields((("Asked by", ctx.actor.identity.user_id), ("Where", ctx.invocation.channel_id or "-"))),
                    Timeline((Step("Said hello", status="done"), Step("Wave", status="pending"))))


@group.command("slk-plan", category=Category.INTERNAL_TASK, mutates=True)
def set_plan(ctx: Context, account: str, plan: Literal["free", "pro"], owner: UserRef, urgent: bool = False,
             note: FreeText | None = None) -> Reply:
    """Change an account's plan.

    Args:
        account: the account id, like acct_1
        plan: the new plan
        owner: who owns the account
        urgent: page the on-call person
        note: why
    """
    ctx.confirm(f"Set {account} to {plan}", changes=[("plan", "free", plan)])
    CALLS.append(("slk-plan", {"account": account, "plan": plan, "owner": str(owner), "note": note}))
    Person.create(name=f"plan-{account}")
    return Reply.text(f"{account} is now on {plan} (owner {owner})", style="success")


@group.command("slk-invite", category=Category.SUPPORT)
def invite(ctx: Context, email: Email) -> Reply:
    """Invite someone by e-mail."""
    return Reply.text(f"invited {email}", ephemeral=True)


@group.command("slk-ticket", category=Category.SUPPORT)
def ticket(ctx: Context, summary: FreeText) -> Reply:
    """Open a ticket; it is posted to the queue channel with Claim and Resolve buttons."""
    handle = ctx.new_action("slackticket", {"summary": str(summary)})
    card = Reply.of(f"New ticket: {summary}", Buttons((handle.button("Claim", "claim", "primary"),
                                                        handle.button("Resolve", "resolve"))))
    return Reply.of(Text(f"Ticket opened: {summary}"), card.blocks[1], ephemeral=False,
                    posts=(Post(Destination("slack", "CQUEUE"), card),))


@group.action("slackticket", "claim", "resolve")
def ticket_button(press: ActionPress) -> Reply:
    CALLS.append((f"ticket:{press.verb}", press.payload))
    if press.verb == "resolve":
        press.finish("done")
    done = {"claim": "claimed", "resolve": "resolved"}[press.verb]
    return Reply.text(f"{done} by {press.actor.identity.user_id}: {press.payload['summary']}")


@group.command("slk-announce", category=Category.SUPPORT)
def announce(ctx: Context, channel: str, times: int) -> Reply:
    """Post a numbered announcement several times to a channel (outbox pacing)."""
    posts = tuple(Post(Destination("slack", channel), Reply.text(f"announcement {i}")) for i in range(times))
    return Reply((Text(f"queued {times}"),), ephemeral=True, posts=posts)


@group.command("slk-gate", category=Category.SUPPORT)
def wait_gate(ctx: Context) -> Reply:
    """Block until the test opens the gate (a slow call to another system: no transaction is open meanwhile)."""
    from chatops import effects

    STARTED.set()
    effects.call("test.gate", GATE.wait, 10)
    return Reply.text("gate passed", ephemeral=True)


@group.command("slk-echo", category=Category.SUPPORT)
def echo(ctx: Context, times: int, text: FreeText) -> Reply:
    """Say the text back, repeated `times` times with nothing between (long answers).

    Args:
        times: how many times
        text: what to say
    """
    CALLS.append(("slk-echo", {"text": str(text)}))
    return Reply.text(str(text) * times)
