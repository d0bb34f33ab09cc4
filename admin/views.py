"""Model views over the core tables: tiers, communities, people, identities, roles, policies, panel users.

Each is an :class:`~admin.auditing.AuditedModelView`: viewers read, editors
change (admins also manage panel users), every change lands in the audit trail.
"""
from __future__ import annotations

from collections import defaultdict

from flask_admin.contrib.peewee.filters import FilterEqual
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional, ValidationError

from admin.auditing import AuditedModelView
from admin.auth import now, state
from admin.choices import SlugListField, community_choices, role_choices, split_slugs
from admin.models import ROLES, AdminLoginAttempt, AdminUser
from admin.security import AdminError, end_user_sessions, hash_password
from chatops.models import (Community, CommandPolicy, CommunityLink, Identity, Membership, Person, PersonRole, Role,
                            Tier)

PLATFORM_OPTIONS = (("slack", "Slack"), ("discord", "Discord"), ("console", "Console"), ("web", "Web"))
PLATFORM_CHOICES = [SelectChoice(v, label) for v, label in PLATFORM_OPTIONS]


class TierView(AuditedModelView):
    column_list = ("slug", "name", "rank", "first_response_minutes", "resolution_minutes", "cred_weight")
    column_labels = {"first_response_minutes": "First response SLA (min)", "resolution_minutes": "Resolution SLA (min)"}
    column_filters = ("slug", "rank")
    form_columns = ("slug", "name", "rank", "first_response_minutes", "resolution_minutes", "cred_weight",
                    "description")
    column_default_sort = ("rank", False)


def _split_ids(text: str | None) -> list[str]:
    return sorted({part.strip() for part in (text or "").replace("\n", ",").split(",") if part.strip()})


class CommunityView(AuditedModelView):
    column_list = ("slug", "name", "tier", "permitted", "partner", "workspaces")
    column_filters = ("permitted", "partner", "slug", Tier.slug)
    form_columns = ("slug", "name", "tier", "permitted", "partner", "description")
    form_extra_fields = {
        "slack_team_ids": StringField("Slack team ids", description="Comma-separated, like T0123ABCD"),
        "discord_guild_ids": StringField("Discord guild ids", description="Comma-separated guild (server) ids"),
    }
    list_joins = ((Community.tier, Tier),)
    column_default_sort = ("slug", False)
    column_formatters = {"workspaces": lambda v, c, m, n: ", ".join(getattr(m, "_workspaces", []))}

    def get_list(self, *args, **kwargs):
        count, rows = super().get_list(*args, **kwargs)
        if kwargs.get("execute", True) and rows:
            links = defaultdict(list)
            for link in CommunityLink.select().where(CommunityLink.community << [r.id for r in rows]):
                links[link.community_id].append(f"{link.platform}:{link.external_id}")
            for row in rows:
                row._workspaces = sorted(links[row.id])
        return count, rows

    def _links(self, model, platform: str) -> list[str]:
        if model.id is None:
            return []
        return sorted(l.external_id for l in CommunityLink.select().where(
            (CommunityLink.community == model.id) & (CommunityLink.platform == platform)))

    def on_form_prefill(self, form, id):
        model = Community.get_by_id(id)
        form.slack_team_ids.data = ", ".join(self._links(model, "slack"))
        form.discord_guild_ids.data = ", ".join(self._links(model, "discord"))

    def extra_snapshot(self, model):
        return {"slack_team_ids": ",".join(self._links(model, "slack")),
                "discord_guild_ids": ",".join(self._links(model, "discord"))}

    def on_model_change(self, form, model, is_created):
        for platform, field in (("slack", form.slack_team_ids), ("discord", form.discord_guild_ids)):
            for ext in _split_ids(field.data):
                owner = CommunityLink.get_or_none((CommunityLink.platform == platform) & (CommunityLink.external_id == ext))
                if owner is not None and owner.community_id != model.id:
                    raise ValidationError(f"{platform} id {ext} already belongs to another community "
                                          f"(id {owner.community_id}).")

    def after_save(self, form, model, is_created):
        for platform, field in (("slack", form.slack_team_ids), ("discord", form.discord_guild_ids)):
            wanted = set(_split_ids(field.data))
            have = set(self._links(model, platform))
            if have - wanted:
                CommunityLink.delete().where((CommunityLink.community == model.id) & (CommunityLink.platform == platform)
                                             & (CommunityLink.external_id << sorted(have - wanted))).execute()
            for ext in sorted(wanted - have):
                CommunityLink.create(community=model.id, platform=platform, external_id=ext)


class PersonView(AuditedModelView):
    column_list = ("id", "name", "email", "active", "created_at")
    column_filters = ("active", "name", "email")
    column_searchable_list = ("name", "email")
    form_columns = ("name", "email", "active")


class IdentityView(AuditedModelView):
    """Link a person's Slack and Discord identities: set the same person on both."""

    column_list = ("platform", "user_id", "display_name", "person", "created_at")
    column_filters = (FilterEqual(Identity.platform, "Platform", options=PLATFORM_OPTIONS), "user_id", Person.name)
    form_columns = ("platform", "user_id", "display_name", "person")
    form_overrides = {"platform": SelectField}
    form_args = {"platform": {"choices": PLATFORM_CHOICES}}
    form_ajax_refs = {"person": {"fields": ("name", "email"), "page_size": 20}}
    list_joins = ((Identity.person, Person),)


class RoleView(AuditedModelView):
    column_list = ("slug", "name", "is_staff", "description")
    form_columns = ("slug", "name", "is_staff", "description")
    column_default_sort = ("slug", False)


class PersonRoleView(AuditedModelView):
    column_list = ("person", "role")
    column_filters = (Role.slug, Person.name)
    form_columns = ("person", "role")
    form_ajax_refs = {"person": {"fields": ("name", "email"), "page_size": 20}}
    list_joins = ((PersonRole.person, Person), (PersonRole.role, Role))


class MembershipView(AuditedModelView):
    column_list = ("person", "community")
    column_filters = (Community.slug, Person.name)
    form_columns = ("person", "community")
    form_ajax_refs = {"person": {"fields": ("name", "email"), "page_size": 20}}
    list_joins = ((Membership.person, Person), (Membership.community, Community))


def staff_holdings() -> dict[int, set[str]]:
    """Active people holding a staff role → every role slug they hold."""
    staff = {pid for (pid,) in PersonRole.select(PersonRole.person).join(Role).switch(PersonRole).join(Person)
             .where((Role.is_staff == True) & (Person.active == True)).tuples()}  # noqa: E712
    held: dict[int, set[str]] = defaultdict(set)
    for pid, slug in (PersonRole.select(PersonRole.person, Role.slug).join(Role)
                      .where(PersonRole.person << sorted(staff)).tuples() if staff else ()):
        held[pid].add(slug)
    return held


def denies_all_staff(policy: CommandPolicy, staff_tier_slug: str) -> str | None:
    """Why a stored policy would deny every staff member (None when some staff member passes it, or when
    there are no staff yet). Checks what is the same wherever staff ask: switched off, the roles no staff
    member holds, a minimum tier above the staff tier. Channels and communities depend on where they ask."""
    held = staff_holdings()
    if not held:
        return None
    if not policy.enabled:
        return "the command is switched off"
    roles = set(split_slugs(policy.roles))
    if roles and not any(roles & slugs for slugs in held.values()):
        return f"no staff member holds {' or '.join(sorted(roles))}"
    if policy.min_tier_id is not None:
        needed = Tier.get_or_none(Tier.id == policy.min_tier_id)
        staff_tier = Tier.get_or_none(Tier.slug == staff_tier_slug)
        if needed is not None and staff_tier is not None and staff_tier.rank < needed.rank:
            return f"staff are on the {staff_tier.slug} tier, below the minimum {needed.slug}"
    return None


class CommandPolicyView(AuditedModelView):
    """Roles and communities are picked from those that exist; a policy that would deny every staff member
    needs the "Yes, deny all staff" box ticked."""

    column_list = ("command", "enabled", "roles", "min_tier", "communities", "channels", "allow_dm", "updated_at")
    column_labels = {"min_tier": "Minimum tier", "allow_dm": "Allow DMs", "updated_at": "Updated"}
    column_filters = ("command", "enabled")
    column_searchable_list = ("command",)
    form_columns = ("command", "enabled", "roles", "min_tier", "communities", "channels", "allow_dm", "note")
    form_overrides = {"command": SelectField, "roles": SlugListField, "communities": SlugListField}
    form_args = {"command": {"choices": []},
                 "roles": {"what": "role", "source": role_choices,
                           "description": "Any one suffices; none picked: any role."},
                 "communities": {"what": "community", "source": community_choices,
                                 "description": "None picked: any community."}}
    form_extra_fields = {"confirm_deny_staff": BooleanField(
        "Yes, deny all staff", description="Needed to save a policy that no staff member passes.")}
    list_joins = ((CommandPolicy.min_tier, Tier),)
    column_default_sort = ("command", False)

    def _choices(self, current: str | None):
        names = sorted(c.name for c in state().chatops_app.registry)
        if current and current not in names:
            names.append(current)
        return [SelectChoice(n, n) for n in names]

    def create_form(self, obj=None):
        form = super().create_form(obj)
        form.command.choices = self._choices(None)
        return form

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        form.command.choices = self._choices(obj.command if obj else None)
        return form

    def on_model_change(self, form, model, is_created):
        for name in ("roles", "communities", "channels"):
            setattr(model, name, ",".join(_split_ids(getattr(model, name))))
        model.updated_at = now()
        reason = denies_all_staff(model, state().chatops_app.settings.staff_tier)
        if reason and not form.confirm_deny_staff.data:
            raise ValidationError(f"This policy would deny every staff member ({reason}). Tick "
                                  "\"Yes, deny all staff\" and save again if that is what you want.")


class AdminUserView(AuditedModelView):
    view_role = "admin"
    edit_role = "admin"
    column_list = ("username", "role", "person", "active", "created_at", "last_login_at")
    column_labels = {"person": "Chat person", "last_login_at": "Last sign-in"}
    column_details_exclude_list = ("password_hash",)
    column_filters = ("role", "active")
    column_searchable_list = ("username",)
    form_columns = ("username", "role", "person", "active")
    form_ajax_refs = {"person": {"fields": ("name", "email"), "page_size": 20}}
    list_joins = ((AdminUser.person, Person),)
    form_overrides = {"role": SelectField}
    form_args = {"role": {"choices": [SelectChoice(r, r) for r in ROLES]},
                 "person": {"description": "The chat person this panel user acts as in the Inbox (replies, "
                                           "first responses and cred are theirs). Empty: the user reads only."}}
    form_extra_fields = {"new_password": PasswordField("New password", validators=[Optional()],
                                                       description="Leave empty to keep the current password.")}
    column_default_sort = ("username", False)

    def on_model_change(self, form, model, is_created):
        password = form.new_password.data
        if is_created and not password:
            raise ValidationError("A new user needs a password.")
        if password:
            try:
                model.password_hash = hash_password(password)
            except AdminError as exc:
                raise ValidationError(str(exc)) from None

    def after_save(self, form, model, is_created):
        if not is_created and (form.new_password.data or not model.active):
            end_user_sessions(model, now())

    def on_model_delete(self, model):
        from admin.auth import current_user

        if current_user() is not None and current_user().id == model.id:
            raise ValidationError("You cannot delete your own user.")


class LoginAttemptView(AuditedModelView):
    view_role = "admin"
    allow_create = allow_edit = allow_delete = False
    column_list = ("at", "username", "remote_addr", "outcome")
    column_filters = ("username", "outcome")
    column_default_sort = ("id", True)


CORE_VIEWS = [
    (TierView, Tier, "Tiers", "Policy"),
    (CommunityView, Community, "Communities", "Policy"),
    (CommandPolicyView, CommandPolicy, "Command policies", "Policy"),
    (RoleView, Role, "Roles", "People"),
    (PersonView, Person, "People", "People"),
    (IdentityView, Identity, "Identities", "People"),
    (PersonRoleView, PersonRole, "Role holders", "People"),
    (MembershipView, Membership, "Memberships", "People"),
    (AdminUserView, AdminUser, "Panel users", "Panel"),
    (LoginAttemptView, AdminLoginAttempt, "Sign-in attempts", "Panel"),
]
