"""Forms for commands run without their required arguments (Discord modals: at most five inputs).

    fields = command.form_fields(raw, limit=MAX_INPUTS) # the core decides (None: more than five)
    modal = build_modal(command, fields, form_id)       # None when there is nothing it can ask
    await interaction.response.send_modal(modal)
    ...
    values = submitted_values(interaction.data)         # {"description": "my payout is late"}

When a form opens (``Command.form_fields``, the same rule as Slack's): required arguments left out
(free text is optional on Discord, so ``/ticket reply 12`` without the text), or
a command with a free-text parameter run with no options at all (``/support``
alone: its category, urgency, summary and details in one form).

What happens beyond five: a modal cannot hold the sixth input, and a form that
collects only part of the arguments would lose the answers when the command
then fails, so a command missing more than five required arguments gets no
modal: it goes to the core as it is, which answers (ephemerally) with the
missing argument and the command's usage. A free-text command with more than
five parameters gets a form with its required ones and the free text first.

Choices are picked, not typed (Discord's modal components, each in a ``Label``):
an Enum, ``Literal`` or ``bool`` argument is a select menu, a ``UserRef`` a user
select; everything else a text input. So a typo cannot throw away a long text.

A modal's ``custom_id`` is ``chatops-form:<command>:<form id>``. The options the
user did give are kept in the database under the form id (15 minutes) and merged
with the submitted fields, whichever process the submission reaches (see
``FormMemory``).

When the core still refuses what was submitted (an e-mail address that is not
one), the error comes with an "Edit and send again" button
(``chatops-refill:<interaction id>``): it reopens the form with everything the
user entered, read back from the submission's stored work item (so it works
after a restart too), for the same user only.
"""
from __future__ import annotations

import collections
import logging
import re
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable, Mapping

import discord

from chatops.commands import Command, Parameter
from chatops.converters import UserRef
from chatops.db import DatabaseErrors, atomic
from chatops.models import FormDraft
from chatops.text import clip

log = logging.getLogger("adapters.discord")

MAX_INPUTS = 5
FORM_PREFIX = "chatops-form:"
FORM_ID = re.compile(r"chatops-form:(?P<command>[a-z][a-z0-9-]{0,31}):(?P<form>[0-9]{1,20})")
MAX_INPUT_LENGTH = 4000  # Discord's cap for a text input
MAX_OPTIONS = 25  # Discord's cap for a select menu's options
REFILL_PREFIX = "chatops-refill:"
REFILL_ID = re.compile(r"chatops-refill:(?P<interaction>[0-9]{1,20})")
SELECT, USER_SELECT, TEXT_INPUT = 3, 5, 4
FORM_TTL = 900.0  # seconds a form's given options are kept (Discord lets a modal stay open this long)
MAX_FORMS = 2000


class FormMemory:
    """The options a user gave with a command whose form is open, by form id, until it is submitted.

        forms.keep_local(form_id, "change-email", {"account": "acct_1"})  # before the modal is sent
        forms.store(form_id, "change-email", {"account": "acct_1"})       # after: the database (a thread)
        given = forms.take_local(form_id, "change-email")                 # None: not opened here...
        given = forms.take_stored(form_id, "change-email")                # ...then the database's draft

    Kept in this process's memory (at most ``MAX_FORMS``) and in the database (``FormDraft``), ``FORM_TTL``
    seconds each, so a submission that reaches another process (a restart; HTTP mode behind a load balancer)
    is merged with them; expired drafts are deleted as new ones are written (and by ``chatops db purge``).
    The adapters keep the memory part before the modal opens and the database part after (``keep_local``,
    then ``store``): a slow or unreachable database never delays the modal past Discord's 3 s. If it cannot
    take the draft, a submission elsewhere brings only the submitted fields (the core asks for anything
    still missing). Thread-safe; the database parts block (call them from a thread, not an event loop).
    """

    PLATFORM = "discord"

    def __init__(self, *, ttl: float = FORM_TTL, limit: int = MAX_FORMS,
                 clock: Callable[[], float] = time.monotonic,
                 now: Callable[[], datetime] = lambda: datetime.now(timezone.utc), persist: bool = True) -> None:
        self.ttl, self.limit, self.clock, self.now, self.persist = ttl, limit, clock, now, persist
        self._forms: collections.OrderedDict[str, tuple[float, str, dict[str, str]]] = collections.OrderedDict()
        self._lock = threading.Lock()

    def _key(self, form_id: str) -> str:
        return f"{self.PLATFORM}:{form_id}"[:100]

    # ---- this process ---------------------------------------------------------------------------
    def keep_local(self, form_id: str, command: str, raw: Mapping[str, str]) -> None:
        now = self.clock()
        with self._lock:
            while self._forms and (len(self._forms) >= self.limit or next(iter(self._forms.values()))[0] < now):
                self._forms.popitem(last=False)
            self._forms[str(form_id)] = (now + self.ttl, command, dict(raw))

    def take_local(self, form_id: str, command: str) -> dict[str, str] | None:
        with self._lock:
            entry = self._forms.pop(str(form_id), None)
        if entry is not None and entry[1] == command and entry[0] >= self.clock():
            return entry[2]
        return None

    # ---- the database ---------------------------------------------------------------------------
    def store(self, form_id: str, command: str, raw: Mapping[str, str]) -> bool:
        """Write the draft (and drop expired ones); False, logged, when the database cannot take it."""
        if not self.persist:
            return False
        at = self.now()
        expires = at + timedelta(seconds=self.ttl)
        try:
            with atomic():
                FormDraft.delete().where(FormDraft.expires_at < at).execute()
                (FormDraft.insert(key=self._key(form_id), command=command, given=dict(raw), expires_at=expires)
                 .on_conflict(conflict_target=[FormDraft.key],
                              update={FormDraft.command: command, FormDraft.given: dict(raw),
                                      FormDraft.expires_at: expires})
                 .execute())
            return True
        except DatabaseErrors as exc:
            log.warning("discord: could not keep form %s's given options in the database (%s): only this "
                        "process has them", form_id, exc)
            return False

    def take_stored(self, form_id: str, command: str) -> dict[str, str] | None:
        """Read and delete the draft (a form is submitted once); None when there is none, or on a database
        error (logged)."""
        if not self.persist:
            return None
        try:
            with atomic():
                draft = FormDraft.get_or_none(FormDraft.key == self._key(form_id))
                if draft is not None:
                    FormDraft.delete().where(FormDraft.id == draft.id).execute()
        except DatabaseErrors as exc:
            log.warning("discord: could not read form %s's given options from the database (%s)", form_id, exc)
            return None
        if (draft is not None and draft.command == command and draft.expires_at >= self.now()
                and isinstance(draft.given, dict)):
            return {str(k): str(v) for k, v in draft.given.items()}
        return None


def form_state(data: dict[str, Any] | None, given: Mapping[str, str]) -> tuple[dict[str, str], dict[str, Any]]:
    """A submission's arguments (the given options, then what was entered) and what the form held, kept with
    the request so an error answer can reopen it as it was filled in."""
    submitted = submitted_values(data)
    form = {"fields": submitted_fields(data), "given": dict(given), "values": submitted}
    return {**given, **submitted}, form


def refill_custom_id(interaction_id: int | str) -> str:
    return f"{REFILL_PREFIX}{interaction_id}"


def parse_refill_id(custom_id: str) -> str | None:
    match = REFILL_ID.fullmatch(custom_id or "")
    return match["interaction"] if match else None


def form_custom_id(command: Command, form_id: int | str) -> str:
    return f"{FORM_PREFIX}{command.name}:{form_id}"


def parse_form_id(custom_id: str) -> tuple[str, str] | None:
    match = FORM_ID.fullmatch(custom_id or "")
    return (match["command"], match["form"]) if match else None


def _label(param: Parameter) -> str:
    label = param.display.replace("-", " ").capitalize()
    return label[:45]


class CommandForm(discord.ui.Modal):
    """A modal of text inputs named after the command's parameters.

    Its submission is handled by the bot's ``on_interaction`` (so it also works
    after a restart); ``on_submit`` does nothing.
    """

    def __init__(self, command: Command, params: Iterable[Parameter], form_id: int | str,
                 values: Mapping[str, str] | None = None) -> None:
        super().__init__(title=command.form_title(45), timeout=900,
                         custom_id=form_custom_id(command, form_id))
        values = values or {}
        params = list(params)
        # An optional free text is required only when it is what the form is for (``/support`` alone: nothing
        # else in it is required); beside required arguments (change-email's reason) it stays optional.
        text_needed = not any(p.required for p in params)
        for param in params:
            value = str(values.get(param.display) or values.get(param.name) or "")
            self.add_item(discord.ui.Label(text=_label(param), component=_input(param, value, text_needed),
                                           description=(param.help or None) and clip(param.help, 100)))

    async def on_submit(self, interaction: discord.Interaction) -> None:  # handled in on_interaction
        return None


def _input(param: Parameter, value: str, text_needed: bool = True) -> discord.ui.Item:
    """The component asking for ``param``: picked when it is a choice or a user, typed otherwise."""
    required = param.required or (param.is_tail and text_needed)
    if param.choices and len(param.choices) <= MAX_OPTIONS:
        return discord.ui.Select(
            custom_id=param.display, required=required, min_values=1 if required else 0, max_values=1,
            placeholder=None if required else "(leave empty for the default)",
            options=[discord.SelectOption(label=clip(c, 100), value=c[:100], default=c == value)
                     for c in param.choices])
    if param.type.python_type is UserRef:
        picked = re.fullmatch(r"<@!?(\d{5,22})>|discord:(\d{5,22})", value)
        default = [discord.Object(int(picked[1] or picked[2]))] if picked else []
        return discord.ui.UserSelect(custom_id=param.display, required=required, min_values=1 if required else 0,
                                     max_values=1, default_values=default)
    long_text = param.is_tail
    hint = param.help or param.type.arg_type.describe()
    if param.choices:  # more than a select menu holds
        hint = "one of: " + ", ".join(param.choices)
    limit = MAX_INPUT_LENGTH if long_text else 2000
    return discord.ui.TextInput(
        custom_id=param.display, required=required,
        style=discord.TextStyle.paragraph if long_text else discord.TextStyle.short,
        placeholder=clip(hint, 100) if hint else None, default=value[:limit] or None, max_length=limit)


def build_modal(command: Command, params: list[Parameter] | None, form_id: int | str,
                values: Mapping[str, str] | None = None) -> CommandForm | None:
    """A form asking for ``params`` (filled in with ``values``), or None when there is nothing to ask or
    more than five (module doc)."""
    if not params or len(params) > MAX_INPUTS:
        return None
    return CommandForm(command, params, form_id, values)


def _components(data: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Every input of a modal submission (in action rows or labels, any depth)."""
    found: list[dict[str, Any]] = []

    def walk(components: Any) -> None:
        for component in components or ():
            if not isinstance(component, dict):
                continue
            if isinstance(component.get("custom_id"), str) and ("value" in component or "values" in component):
                found.append(component)
            walk(component.get("components"))
            if isinstance(component.get("component"), dict):
                walk([component["component"]])

    walk((data or {}).get("components"))
    return found


def submitted_values(data: dict[str, Any] | None) -> dict[str, str]:
    """What was entered, by custom id: a text input's value, a select's option, a picked user as
    ``<@id>``. An optional select left empty is absent (the command's default applies)."""
    values: dict[str, str] = {}
    for component in _components(data):
        if isinstance(component.get("value"), str):
            values[component["custom_id"]] = component["value"]
        elif isinstance(component.get("values"), list) and component["values"]:
            picked = str(component["values"][0])
            values[component["custom_id"]] = f"<@{picked}>" if component.get("type") == USER_SELECT else picked
    return values


def submitted_fields(data: dict[str, Any] | None) -> list[str]:
    """The custom ids of every input the form had, empty ones included (to reopen the same form)."""
    return [c["custom_id"] for c in _components(data)]


def refill_form(registry, payload: Mapping[str, Any] | None, user_id: str, form_id: int | str
                ) -> tuple[CommandForm | None, str, str, dict[str, str]]:
    """"Edit and send again": (the modal filled in as submitted, "", command, given) from the submission's
    stored work item payload — or (None, the sentence to show instead, "", {})."""
    from adapters.discord import messages

    form = (payload or {}).get("form") or {}
    inv = (payload or {}).get("inv") or {}
    command = registry.get(inv.get("command") or "")
    if command is None or not form.get("fields"):
        return None, messages.REFILL_GONE, "", {}
    if str(inv.get("user_id")) != str(user_id):
        return None, messages.REFILL_NOT_YOURS, "", {}
    params = [p for p in (command.param(f) for f in form["fields"]) if p is not None]
    modal = build_modal(command, params, form_id, values=form.get("values") or {})
    if modal is None:
        return None, messages.REFILL_GONE, "", {}
    return modal, "", command.name, dict(form.get("given") or {})
