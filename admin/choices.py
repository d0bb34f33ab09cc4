"""Form fields whose choices come from the data: roles, communities, tiers, ticket types, commands.

    form_overrides = {"roles": SlugListField}
    form_args = {"roles": {"what": "role", "source": role_choices}}

A :class:`SlugListField` edits a comma-separated text column (``CommandPolicy.roles``,
``SupportChannel.tiers``) as a multiple select of the rows that exist. A value that is not one of them
(a typo posted by hand, or one stored before the row was renamed) is refused with a form error naming it
and the values that do exist; a stored unknown value is still shown, marked, so the editor sees it.
"""
from __future__ import annotations

from typing import Callable

from wtforms import SelectField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.utils import unset_value
from wtforms.validators import ValidationError

from admin.formatting import words
from chatops.models import Community, Role, Tier
from chatops.support.classify import TYPES

Choices = list[tuple[str, str]]


def role_choices() -> Choices:
    return [(r.slug, f"{r.slug} — {r.name}" + (" (staff)" if r.is_staff else "")) for r in Role.select().order_by(Role.slug)]


def community_choices() -> Choices:
    return [(c.slug, f"{c.slug} — {c.name}") for c in Community.select().order_by(Community.slug)]


def tier_choices() -> Choices:
    return [(t.slug, f"{t.slug} — {t.name}") for t in Tier.select().order_by(Tier.rank, Tier.slug)]


TYPE_CHOICES: Choices = [(t, words(t)) for t in TYPES]


def split_slugs(text: str | None) -> list[str]:
    return sorted({part.strip() for part in (text or "").replace("\n", ",").split(",") if part.strip()})


class SlugListField(SelectMultipleField):
    """A comma-separated column of slugs, picked from what exists (see the module)."""

    def __init__(self, label=None, validators=None, *, what: str = "value", source: Callable[[], Choices] | None = None,
                 **kwargs):
        kwargs.pop("choices", None)
        kwargs.pop("allow_blank", None)
        super().__init__(label, validators, choices=[], **kwargs)
        self.what = what
        self.source = source
        self._known: set[str] = set()

    def process(self, formdata, data=unset_value, extra_filters=None):
        known = self.source() if self.source else []
        self._known = {value for value, _ in known}
        self.choices = [SelectChoice(value, label) for value, label in known]
        super().process(formdata, data, extra_filters=extra_filters)
        for value in self.data or []:
            if value not in self._known:
                self.choices.append(SelectChoice(value, f"{value} (unknown {self.what})"))

    def process_data(self, value):
        if value is None or isinstance(value, str):
            value = split_slugs(value)
        super().process_data(value)

    def pre_validate(self, form):
        unknown = [v for v in (self.data or []) if v not in self._known]
        if unknown:
            names = ", ".join(repr(v) for v in unknown)
            known = ", ".join(sorted(self._known)) or "none exist yet"
            raise ValidationError(f"Unknown {self.what} {names}: pick from the {self.what}s that exist ({known}).")

    def populate_obj(self, obj, name):
        setattr(obj, name, ",".join(sorted(set(self.data or []))))


class ChoiceField(SelectField):
    """A select of fixed values (ticket types, platforms) for a text column; ``blank`` adds an empty
    choice stored as None ("any")."""

    def __init__(self, label=None, validators=None, *, options: Choices = (), blank: str | None = None, **kwargs):
        kwargs.pop("choices", None)
        kwargs.pop("allow_blank", None)
        choices = [SelectChoice(v, l) for v, l in ([("", blank)] if blank is not None else []) + list(options)]
        super().__init__(label, validators, choices=choices, coerce=lambda v: v or None, **kwargs)
        self.what = (label.text if hasattr(label, "text") else label) or "value"

    def pre_validate(self, form):
        allowed = {c.value or None for c in self.choices}
        if self.data not in allowed:
            shown = ", ".join(c.value for c in self.choices if c.value)
            raise ValidationError(f"{self.data!r} is not one of the choices ({shown}).")


class ChannelField(SelectField):
    """A channel id column (a route's or a team's channel on one platform), picked from the channels listed
    under Support → Channels for that platform; empty: none. A channel that is not listed is refused with a
    form error saying to add it there first (a stored one is still shown, marked)."""

    def __init__(self, label=None, validators=None, *, platform: str = "slack", **kwargs):
        kwargs.pop("choices", None)
        kwargs.pop("allow_blank", None)
        super().__init__(label, validators, choices=[], coerce=lambda v: v or "", **kwargs)
        self.platform = platform
        self._known: set[str] = set()

    def process(self, formdata, data=unset_value, extra_filters=None):
        from chatops.support.models import SupportChannel

        rows = list(SupportChannel.select(SupportChannel.channel_id, SupportChannel.name)
                    .where(SupportChannel.platform == self.platform).order_by(SupportChannel.name))
        self._known = {r.channel_id for r in rows}
        self.choices = [SelectChoice("", "none")] + [SelectChoice(r.channel_id, f"#{r.name} ({r.channel_id})")
                                                     for r in rows]
        super().process(formdata, data, extra_filters=extra_filters)
        if self.data and self.data not in self._known:
            self.choices.append(SelectChoice(self.data, f"{self.data} (not a listed channel)"))

    def pre_validate(self, form):
        if self.data and self.data not in self._known:
            raise ValidationError(f"Channel {self.data!r} is not listed for {self.platform}: add it under Support → "
                                  "Channels first, then pick it here.")

    def populate_obj(self, obj, name):
        setattr(obj, name, self.data or "")

