"""Safety for ops commands that change data: preview, confirm, and the two-person rule.

    @commands.command(category=Category.INTERNAL_TASK, mutates=True, policy=staff)
    def remove_seller_fee(ctx: Context, seller: str, reason: FreeText) -> Reply:
        ...
        pending = gate(ctx, f"Remove the fee of {seller}", [("fee", "3%", "0%")], reason=reason)
        if pending is not None:
            return pending           # preview first; then "sent for approval" where policy says so
        ...                          # only reached when confirmed (and approved, if required)

Policy is data: an :class:`OpsPolicy` row per command (the admin panel edits
it), else :data:`DEFAULTS`. An approval request is a stored action of kind
``approval``, posted with Approve/Reject buttons to the approvals channel of the
requester's platform (the row's, else ``CHATOPS_OPS_APPROVALS_SLACK_CHANNEL`` /
``…_DISCORD_CHANNEL``; the console uses Slack's) through the outbox; with none
set up the command is refused before its preview (:class:`ApprovalsNotSetUp`). Anyone with an approver role approves, never the
requester; the router locks the action row, so a request runs exactly once.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Sequence

from chatops import audit, outbox
from chatops.context import ActionPress, Context
from chatops.db import atomic
from chatops.errors import BadArgument, PermissionDenied, ServiceUnavailable
from chatops.models import OutboundMessage, PendingAction
from chatops.ops.models import OpsPolicy
from chatops.reply import Buttons, Destination, Fields, Post, Reply, Text
from chatops.settings import Settings

MIN_REASON = 8

# Code defaults when a command has no OpsPolicy row.
DEFAULTS: dict[str, dict[str, Any]] = {
    "remove-seller-fee": {"approval_required": True, "reason_required": True},
    "unlock-account": {"reason_required": True},
}


CHAT_PLATFORMS = ("slack", "discord")
SETTING = {"slack": "CHATOPS_OPS_APPROVALS_SLACK_CHANNEL", "discord": "CHATOPS_OPS_APPROVALS_DISCORD_CHANNEL"}
PLATFORM_LABEL = {"slack": "Slack", "discord": "Discord", "console": "the console", "web": "the web playground"}


class ApprovalsNotSetUp(ServiceUnavailable):
    """A command needs approval but no approvals channel is configured for the requester's platform:
    a gap in the set-up, not the user's mistake (nothing is sent anywhere, so nothing changed)."""

    outcome_unknown = False


def _fits(channel: str, platform: str) -> bool:
    """Does a channel id have the form of ``platform``'s ids? (Discord: digits; Slack: ``C…``/``G…``.)"""
    return channel.isdigit() if platform == "discord" else not channel.isdigit()


@dataclass(frozen=True)
class EffectivePolicy:
    command: str
    approval_required: bool
    approver_roles: tuple[str, ...]
    approvals_platform: str  # "" = the requester's platform
    approvals_channel: str  # with approvals_platform: the one channel for every request
    channels: tuple[tuple[str, str], ...]  # (platform, channel id) per platform: the row's, else the setting
    ttl_minutes: int
    reason_required: bool

    def channel_on(self, platform: str) -> str:
        return dict(self.channels).get(platform, "")

    def platforms_for(self, requester_platform: str) -> tuple[str, ...]:
        """Where a request made on ``requester_platform`` may go, in order of preference."""
        if self.approvals_platform:
            return (self.approvals_platform,)
        if requester_platform in CHAT_PLATFORMS:
            return (requester_platform,)
        return CHAT_PLATFORMS  # console, web playground: Slack's channel, else Discord's

    def destination(self, requester_platform: str) -> Destination | None:
        """The approvals channel for a request made on ``requester_platform``; None when none is set up."""
        if self.approvals_platform and self.approvals_channel:
            return Destination(self.approvals_platform, self.approvals_channel)
        for platform in self.platforms_for(requester_platform):
            if channel := self.channel_on(platform):
                return Destination(platform, channel)
        return None

    def require_destination(self, requester_platform: str) -> Destination:
        """The destination, or :class:`ApprovalsNotSetUp` naming what an admin sets (nothing is pretended)."""
        found = self.destination(requester_platform)
        if found is not None:
            return found
        platforms = self.platforms_for(requester_platform)
        where = PLATFORM_LABEL.get(requester_platform, requester_platform)
        settings = " or ".join(f"`{SETTING[p]}`" for p in platforms if p in SETTING) or "a chat platform"
        columns = " or ".join(f"`approvals_{p}_channel`" for p in platforms if p in SETTING)
        raise ApprovalsNotSetUp(
            f"`{self.command}` needs a second person's approval, but approvals for requests from {where} are not "
            f"set up: an admin sets {settings}, or {columns or 'the approvals channel'} of the command's ops "
            "policy (admin panel → Ops policies). Nothing was changed.")


def policy_for(command: str, settings: Settings) -> EffectivePolicy:
    """The command's OpsPolicy row, else its code default; empty fields fall back to settings."""
    row = OpsPolicy.get_or_none(OpsPolicy.command == command)
    default = DEFAULTS.get(command, {})
    ttl_default = settings.ops.approval_ttl_minutes
    from_settings = {"slack": settings.ops.approvals_slack_channel, "discord": settings.ops.approvals_discord_channel}
    if row is None:
        return EffectivePolicy(command, bool(default.get("approval_required")), ("lead",), "", "",
                               tuple(from_settings.items()), ttl_default, bool(default.get("reason_required")))
    roles = tuple(r.strip() for r in (row.approver_role or "").split(",") if r.strip()) or ("lead",)
    platform = (row.approvals_platform or "").strip().lower()
    fixed = (row.approvals_channel or "").strip()
    own = {"slack": (row.approvals_slack_channel or "").strip(),
           "discord": (row.approvals_discord_channel or "").strip()}
    if fixed and not platform:  # deprecated: a platform-less channel applies where its id's form fits
        for p in CHAT_PLATFORMS:
            if _fits(fixed, p) and not own[p]:
                own[p] = fixed
        fixed = ""
    channels = tuple((p, own[p] or from_settings[p]) for p in CHAT_PLATFORMS)
    return EffectivePolicy(command, row.approval_required, roles, platform if platform in CHAT_PLATFORMS else "",
                           fixed, channels,
                           row.ttl_minutes if row.ttl_minutes and row.ttl_minutes > 0 else ttl_default,
                           row.reason_required)


def where(destination: Destination, requester_platform: str) -> str:
    """How to name the approvals channel to the requester: a mention on their own platform."""
    if destination.platform == requester_platform:
        return f"<#{destination.channel_id}>"
    return f"{destination.channel_id} on {PLATFORM_LABEL.get(destination.platform, destination.platform)}"


def check_reason(ctx: Context, reason: str | None, policy: EffectivePolicy) -> None:
    if policy.reason_required and len((reason or "").strip()) < MIN_REASON:
        raise BadArgument("reason", f"is required for `{ctx.command.name}` by policy: say in a few words why "
                                    f"(at least {MIN_REASON} characters).", usage=ctx.command.usage)


def gate(ctx: Context, summary: str, changes: Sequence[tuple[str, Any, Any]], *,
         details: Sequence[tuple[str, str]] = (), reason: str | None = None) -> Reply | None:
    """Preview → Confirm → (approval). Returns the reply to answer instead of executing, or None to go on.

    The first run raises the preview (``ctx.confirm``). On the confirmed run, when the policy requires
    approval and nobody approved yet, it stores and posts an approval request and returns the
    requester's answer. On the approved run (``ctx.approved_by`` set) it returns None.
    """
    policy = policy_for(ctx.command.name, ctx.settings)
    check_reason(ctx, reason, policy)
    details = list(details)
    if reason:
        details.append(("Reason", reason))
    if policy.approval_required and ctx.approved_by is None:
        # Before the preview: no Confirm for a request that could not be sent anywhere.
        destination = policy.require_destination(ctx.invocation.platform)
        details.append(("Approval", f"a second person with the {' or '.join(policy.approver_roles)} role "
                                    f"approves in {where(destination, ctx.invocation.platform)} before it runs"))
    ctx.confirm(summary, changes, details=details)
    if policy.approval_required and ctx.approved_by is None:
        return request_approval(ctx, policy, summary, changes, details)
    return None


def request_approval(ctx: Context, policy: EffectivePolicy, summary: str,
                     changes: Sequence[tuple[str, Any, Any]], details: Sequence[tuple[str, str]]) -> Reply:
    ttl = timedelta(minutes=policy.ttl_minutes)
    expires = ctx.now + ttl
    destination = policy.require_destination(ctx.invocation.platform)
    change_rows = [[str(f), "" if o is None else str(o), "" if n is None else str(n)] for f, o, n in changes]
    handle = ctx.new_action("approval", {
        "command": ctx.command.name, "arguments": dict(ctx.raw_arguments), "summary": summary,
        "changes": change_rows, "requester": ctx.actor.label, "expires_at": expires.isoformat(),
        "approvals": [destination.platform, destination.channel_id],
    }, ttl=ttl)
    roles = " or ".join(policy.approver_roles)
    blocks: list = [
        Text(f"Approval needed: {summary}\nRequested by {ctx.actor.label}. Anyone with the {roles} role "
             f"except the requester may approve; expires at {expires:%H:%M} UTC.", "warning"),
        Fields(tuple((f, f"{o or '—'} → {n or '—'}") for f, o, n in change_rows), title="What will change"),
    ]
    if details:
        blocks.append(Fields(tuple(details)))
    blocks.append(Buttons((handle.button("Approve", "approve", "primary"),
                           handle.button("Reject", "reject", "danger"))))
    ctx.audit_outcome = "pending_approval"
    ctx.audit_detail = (f"approval requested from {roles} in {destination.platform}:{destination.channel_id}, "
                        f"expires {expires:%Y-%m-%d %H:%M} UTC")
    answer = Text(f"Sent for approval to {where(destination, ctx.invocation.platform)}: someone with the {roles} "
                  f"role must approve before it runs (by {expires:%H:%M} UTC). Nothing has changed yet. "
                  "Changed your mind? Withdraw it.")
    return Reply((answer, Buttons((handle.button("Withdraw", "withdraw", "danger"),))), ephemeral=True,
                 posts=(Post(destination, Reply(tuple(blocks)), key=request_key(handle.token)),))


def request_key(token: str) -> str:
    """The outbox key of an approval request's message in the approvals channel (edited when it ends)."""
    return f"approval:{token}:request"


def _approvals_channel(payload: dict[str, Any]) -> Destination | None:
    where_to = payload.get("approvals") or []
    return Destination(where_to[0], where_to[1]) if len(where_to) == 2 and all(where_to) else None


def withdraw(press: ActionPress) -> Reply:
    """``approval.withdraw``: the requester takes a pending request back; nothing runs."""
    payload = press.payload
    if press.actor.person.id != press.action.requester_id:
        raise PermissionDenied("only the person who asked for this change can withdraw it",
                               "Approve or reject it instead, if you are an approver.")
    summary = payload.get("summary", press.action.command)
    press.finish("cancelled")
    press.outcome = "withdrawn"
    press.detail = f"withdrawn by {press.actor.label}"
    channel = _approvals_channel(payload)
    # the request in the approvals channel says so, its Approve/Reject gone
    posts = (Post(channel, Reply.text(f"Withdrawn by {press.actor.label}: {summary}. Nothing was changed; "
                                      "no approval is needed any more."), edits=request_key(press.action.token)),
             ) if channel else ()
    return Reply((Text(f"You withdrew your request “{summary}”. Nothing was changed.", "success"),),
                 ephemeral=True, posts=posts)


def approval_button(press: ActionPress) -> Reply:
    """``approval.approve`` / ``.reject``: an approver decides (approve runs the command once);
    ``approval.withdraw``: the requester takes it back."""
    if press.verb == "withdraw":
        return withdraw(press)
    payload = press.payload
    command = payload.get("command") or press.action.command
    policy = policy_for(command, press.router.settings)
    if press.actor.person.id == press.action.requester_id:
        raise PermissionDenied("you asked for this change, and a second person must approve or reject it",
                               f"Ask someone with the {' or '.join(policy.approver_roles)} role in the approvals "
                               "channel; to withdraw it, press Withdraw on your request.")
    if not set(policy.approver_roles) & press.actor.roles:
        raise PermissionDenied(f"approving `{command}` needs the {' or '.join(policy.approver_roles)} role",
                               "Leave it to an approver; ask a chatops admin if you should be one.")
    if press.now > press.action.expires_at:  # the router checks too; keep the rule visible here
        raise PermissionDenied("this approval request has expired", "The requester can run the command again.")
    requester = payload.get("requester", "the requester")
    summary = payload.get("summary", command)
    invocation = dict(press.action.invocation or {})
    notify: tuple[Post, ...] = ()
    if invocation.get("channel_id") and invocation.get("platform"):
        verdict = "approved" if press.verb == "approve" else "rejected"
        notify = (Post(Destination(invocation["platform"], invocation["channel_id"]),
                       Reply.text(f"Your request “{summary}” was {verdict} by {press.actor.label}.")),)
    if press.verb == "reject":
        press.finish("rejected")
        press.outcome = "rejected"
        press.detail = f"rejected by {press.actor.label}"
        return Reply((Text(f"Rejected by {press.actor.label}: {summary} (asked by {requester}). "
                           "Nothing was changed."),), posts=notify, in_place=True)
    press.finish("approved")
    press.record("approved", f"approved by {press.actor.label}")  # on record before the change is sent
    result = press.router.run_approved(press, command, dict(payload.get("arguments") or {}), invocation,
                                       summary=summary)
    head = Text(f"Approved by {press.actor.label}: {summary} (asked by {requester}).", "success")
    return Reply((head, *result.blocks), posts=notify, in_place=True)


# ---- expiry ---------------------------------------------------------------------------------

EXPIRY_ACTOR = "system:approval-expiry"


@dataclass
class ExpiryReport:
    expired: int = 0
    notified: int = 0


def expire_requests(*, now: datetime, batch: int = 200) -> ExpiryReport:
    """Retire approval requests whose time ran out (state ``expired``) and tell each requester once.

    Each request in its own transaction: the conditional UPDATE (``state = 'pending'``) decides who
    retires it, so concurrent sweepers and restarts notify exactly once; the outbox message also
    carries the dedupe key ``approval-expired:<token>``. Run every minute by the Huey schedule
    (chatops.support.tasks).
    """
    report = ExpiryReport()
    due = ((PendingAction.kind == "approval") & (PendingAction.state == "pending")
           & (PendingAction.expires_at < now))
    while True:
        tokens = [t for (t,) in PendingAction.select(PendingAction.token).where(due)
                  .order_by(PendingAction.expires_at, PendingAction.token).limit(batch).tuples()]
        for token in tokens:
            _expire_one(token, now, report)
        if len(tokens) < batch:
            return report


def _expire_one(token: str, now: datetime, report: ExpiryReport) -> None:
    with atomic():
        won = (PendingAction.update(state="expired", finished_at=now)
               .where((PendingAction.token == token) & (PendingAction.state == "pending")).execute())
        if won != 1:
            return  # decided, withdrawn or expired by someone else meanwhile
        row = PendingAction.get_by_id(token)
        report.expired += 1
        payload = dict(row.arguments or {})
        summary = payload.get("summary", row.command)
        inv = dict(row.invocation or {})
        platform, channel = inv.get("platform") or "", inv.get("channel_id") or ""
        told = ""
        if platform in CHAT_PLATFORMS and channel:
            note = Reply.text(f"Your request “{summary}” expired at {row.expires_at:%H:%M} UTC before anyone "
                              f"approved it. Nothing was changed; run `{row.command}` again if it is still needed.")
            if outbox.enqueue(Destination(platform, channel), note, now=now, dedupe_key=f"approval-expired:{token}",
                              correlation_id=row.correlation_id) is not None:
                report.notified += 1
                told = f"; requester told in {platform}:{channel}"
        request = OutboundMessage.get_or_none(OutboundMessage.dedupe_key == request_key(token))
        if request is not None:  # the request in the approvals channel: expired, its buttons gone
            outbox.enqueue(Destination(request.platform, request.channel_id),
                           Reply.text(f"Expired at {row.expires_at:%H:%M} UTC unapproved: {summary}. Nothing was "
                                      "changed."), now=now, correlation_id=row.correlation_id,
                           edits=request_key(token), dedupe_key=f"approval:{token}:expired-request")
        audit.record(correlation_id=row.correlation_id, actor=EXPIRY_ACTOR, command=f"{row.command}:expire",
                     outcome="expired", arguments={"summary": summary}, platform=platform,
                     detail=f"approval request expired at {row.expires_at:%Y-%m-%d %H:%M} UTC unapproved{told}",
                     at=now)


def home_section(ctx: Context) -> list:
    """``my``: your approval requests still waiting, and how many you may approve."""
    pending = (PendingAction.kind == "approval") & (PendingAction.state == "pending") & (
        PendingAction.expires_at > ctx.now)
    from chatops.ops.ownership import accounts_of

    blocks: list = []
    accounts = sorted(accounts_of(ctx.actor.person.id))
    if accounts:  # the ids a customer needs for the self-serve commands, which nobody else can tell them
        blocks.append(Text("*Your accounts*\n" + ", ".join(f"`{a}`" for a in accounts[:20])
                           + "\nUse them with `my-payments`, `disbursement-status`, `change-email` or `resend-verification`."))
    mine = list(PendingAction.select().where(pending & (PendingAction.requester == ctx.actor.person.id))
                .order_by(PendingAction.expires_at).limit(10))
    if not mine and not ctx.actor.is_staff:
        return blocks
    lines = [f"{(a.arguments or {}).get('summary', a.command)} — expires {a.expires_at:%H:%M} UTC" for a in mine]
    blocks.append(Text("*Your approval requests*\n" + ("\n".join(lines) if lines else "None waiting.")))
    theirs = [a for a in PendingAction.select().where(pending & (PendingAction.requester != ctx.actor.person.id))
              if set(policy_for(a.command, ctx.router.settings).approver_roles) & ctx.actor.roles]
    if theirs:
        blocks.append(Text(f"*Waiting for an approver like you*\n{len(theirs)} request(s) in the approvals channel."))
    return blocks
