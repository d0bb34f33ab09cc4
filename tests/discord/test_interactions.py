"""Buttons that survive a restart, forms (modals), DMs, and malformed interactions."""
from __future__ import annotations

import asyncio
import logging

from chatops.models import AuditEvent, PendingAction, WorkItem
from tests.discord import sample
from tests.discord.fakediscord import APP_ID
from tests.discord.harness import content, custom_ids, run

EPHEMERAL = 64


def _button_message(custom_id: str, *, ephemeral: bool) -> dict:
    return {"components": [{"type": 1, "components": [{"type": 2, "style": 1, "label": "Confirm",
                                                         "custom_id": custom_id}]}],
            "flags": EPHEMERAL if ephemeral else 0}


async def _press(h, custom_id: str, *, ephemeral: bool = False, **kw):
    payload = h.fake.button(custom_id, ephemeral_message=ephemeral, **kw)
    payload["message"].update(_button_message(custom_id, ephemeral=ephemeral))
    await h.fake.interaction(payload)
    callback = await h.callback(payload)
    return payload, callback


def test_confirm_button_works_after_a_restart(make_runner):
    runner = make_runner(sample.group)
    sample.FLAGS.clear()

    async def scenario(h):
        _, callback, preview = await h.command("set-flag", {"name": "beta"})
        assert callback.json["data"]["flags"] & EPHEMERAL  # mutating commands defer ephemerally
        assert "Set flag beta" in content(preview)
        ids = custom_ids(preview)
        assert len(ids) == 2 and all(i.startswith("chatops:") for i in ids)
        confirm = next(i for i in ids if i.endswith(".confirm"))
        await h.stop_bot()
        await h.start_bot()  # a new client: nothing of the old one in memory
        payload, press_callback = await _press(h, confirm, ephemeral=True)
        assert press_callback.json["type"] == 6  # deferred update: no "thinking" shown
        edit = await h.fake.wait_for("PATCH", f"/webhooks/{APP_ID}/{payload['token']}/messages/@original")
        assert "Flag beta set." in content(edit) and edit.json["components"] == []
        # the same button again: the core says it was used; shown only to the presser
        payload2, _ = await _press(h, confirm, ephemeral=True)
        again = await h.followup(payload2)
        assert h.fake.ephemeral(again) and "already" in content(again)

    run(runner.app, scenario)
    assert sample.FLAGS == ["beta"]


def test_a_press_by_someone_else_is_refused_ephemerally(make_runner):
    runner = make_runner(sample.group)
    sample.FLAGS.clear()

    async def scenario(h):
        _, _, preview = await h.command("set-flag", {"name": "x"}, user_id="940000000000000011")
        confirm = next(i for i in custom_ids(preview) if i.endswith(".confirm"))
        payload, _ = await _press(h, confirm, user_id="940000000000000012")
        followup = await h.followup(payload)
        assert h.fake.ephemeral(followup) and "You can't do that" in content(followup)

    run(runner.app, scenario)
    assert sample.FLAGS == []


def test_custom_action_buttons_on_public_messages_follow_up(make_runner):
    runner = make_runner(sample.group)

    async def scenario(h):
        _, _, asked = await h.command("ask", {"topic": "payouts", "text": "late again"})
        claim = next(i for i in custom_ids(asked) if i.endswith(".claim"))
        payload, _ = await _press(h, claim)
        followup = await h.followup(payload)
        assert "claim by" in content(followup) and "payouts" in content(followup)
        assert not h.fake.ephemeral(followup)

    run(runner.app, scenario)


def test_a_missing_free_text_opens_a_form_and_the_submission_runs(make_runner):
    runner = make_runner(sample.group)

    async def scenario(h):
        payload = await h.fake.interaction(h.fake.command("ask", [{"name": "topic", "type": 3, "value": "fees"}]))
        callback = await h.callback(payload)
        assert callback.json["type"] == 9  # a modal
        modal = callback.json["data"]
        inputs = [label["component"] for label in modal["components"]]
        assert [i["custom_id"] for i in inputs] == ["text"] and inputs[0]["style"] == 2 and inputs[0]["required"]
        submit = await h.fake.interaction(h.fake.modal_submit(modal["custom_id"], {"text": "why two fees?"}))
        sub_callback = await h.callback(submit)
        assert sub_callback.json["type"] == 5
        followup = await h.followup(submit)
        assert "Asked about fees: why two fees?" in content(followup)  # the given option was kept

    run(runner.app, scenario)


def test_support_alone_opens_its_form(runner):
    async def scenario(h):
        payload = await h.fake.interaction(h.fake.command("support"))
        callback = await h.callback(payload)
        assert callback.json["type"] == 9
        assert callback.json["data"]["title"] == "Ask for help"  # the summary's first clause, not 45 characters of it
        inputs = _inputs(callback.json["data"])
        assert set(inputs) == {"category", "urgency", "summary", "details"}
        assert inputs["category"]["type"] == 3 and inputs["urgency"]["type"] == 3  # picked, not typed
        assert inputs["details"]["style"] == 2 and inputs["details"]["required"]
        assert not inputs["category"]["required"]

    run(runner.app, scenario)


def test_more_than_five_missing_arguments_get_the_usage(make_runner):
    runner = make_runner(sample.group)

    async def scenario(h):
        payload, callback, followup = await h.command("six")
        assert callback.json["type"] == 5  # no modal
        assert "`a` is missing" in content(followup) and "Usage: `six A B C D E F`" in content(followup)

    run(runner.app, scenario)


def test_direct_messages_are_read_as_text(runner):
    async def scenario(h):
        await h.fake.dm("help")
        sent = await h.fake.wait_for("POST", "/channels/940000000000000002/messages")
        assert "Commands you can run" in content(sent)
        before = len(h.fake.calls)
        await h.fake.dm("ping", user_id="940000000000000003", bot=True)  # another bot: ignored
        await h.fake.dm("whoami")
        sent = await h.fake.wait_for("POST", "/channels/940000000000000002/messages", after=before)
        assert "Identity: discord:940000000000000001" in content(sent)

        def from_the_bot() -> list:
            return [w for w in WorkItem.select() if (w.payload.get("inv") or {}).get("user_id") == "940000000000000003"]

        # The bot's DM came first: had it been read, it would be accepted (a work item) by now, or very soon.
        for _ in range(20):
            assert not from_the_bot(), "a DM from another bot was accepted"
            await asyncio.sleep(0.05)
        assert len(WorkItem.select()) == 2  # help and whoami, nothing else
        assert not h.fake.find("POST", "/channels/940000000000000004/messages")

    run(runner.app, scenario)


def test_malformed_interactions_are_logged_and_answered_without_a_change(make_runner, caplog):
    runner = make_runner(sample.group)
    sample.FLAGS.clear()
    caplog.set_level(logging.WARNING, logger="adapters.discord")

    async def scenario(h):
        # a button we never made
        payload, callback = await _press(h, "something-else:<script>")
        assert callback.json["type"] == 4 and callback.json["data"]["flags"] & EPHEMERAL
        # a well-formed button id whose token does not exist
        payload, _ = await _press(h, "chatops:AAAAAAAAAAAAAAAAAAAAAAAA.confirm")
        assert "not valid any more" in content(await h.followup(payload))
        # an unknown command (an outdated command list)
        _, _, unknown = await h.command("set-flags", {"name": "x"})
        assert "no command called `set-flags`" in content(unknown) and h.fake.ephemeral(unknown)
        # an option of the wrong type, and an option the command does not have
        _, _, bad = await h.command("typed", {"count": "many", "loud": True, "colour": "red", "who": "1234567"},
                                    types={"count": 3})
        assert "`count` must be a whole number" in content(bad)
        _, _, extra = await h.command("set-flag", {"name": "x", "force": "yes"})
        assert "`force=` is not an argument" in content(extra)
        # no command name at all, and an unknown form
        broken = h.fake.command("ping")
        broken["data"].pop("name")
        await h.fake.interaction(broken)
        assert (await h.callback(broken)).json["data"]["flags"] & EPHEMERAL
        form = await h.fake.interaction(h.fake.modal_submit("nope", {"x": "y"}))
        assert "form is not valid" in content(await h.callback(form))
        # the bot still answers
        _, _, pong = await h.command("ping")
        assert "pong" in content(pong)

    run(runner.app, scenario)
    assert sample.FLAGS == []
    assert PendingAction.select().count() == 0
    assert not AuditEvent.select().where(AuditEvent.outcome.in_(["executed", "previewed"])).exists()
    assert "unknown custom_id" in caplog.text and "malformed command interaction" in caplog.text


def _inputs(modal: dict) -> dict[str, dict]:
    """custom_id → component, for a modal built of labels."""
    return {c["component"]["custom_id"]: c["component"] for c in modal["components"] if c.get("type") == 18}


def test_choices_are_picked_in_the_form_and_a_refused_form_reopens_with_what_was_typed(make_runner):
    runner = make_runner(sample.group)
    long_text = "my order arrived broken, " * 100  # 2,500 characters the user must not lose

    async def scenario(h):
        payload = await h.fake.interaction(h.fake.command("contact", user_id="940000000000000001"))
        modal = (await h.callback(payload)).json["data"]
        inputs = _inputs(modal)
        assert inputs["urgency"]["type"] == 3 and [o["value"] for o in inputs["urgency"]["options"]] == ["low", "high"]
        assert inputs["email"]["type"] == 4 and inputs["text"]["style"] == 2
        submit = await h.fake.interaction(h.fake.modal_submit(
            modal["custom_id"], {"email": "not-an-address", "text": long_text}, picked={"urgency": ["high"]},
            user_id="940000000000000001"))
        refused = await h.followup(submit)
        assert "is not a valid e-mail address" in content(refused)
        (row,) = refused.json["components"]
        (edit,) = row["components"]
        assert edit["label"] == "Edit and send again" and edit["custom_id"] == f"chatops-refill:{submit['id']}"

        stranger = await h.fake.interaction(h.fake.button(edit["custom_id"], user_id="940000000000000077"))
        assert "Only the person who filled in this form" in content(await h.callback(stranger))

        again = await h.fake.interaction(h.fake.button(edit["custom_id"], user_id="940000000000000001"))
        reopened = (await h.callback(again)).json
        assert reopened["type"] == 9
        refilled = _inputs(reopened["data"])
        assert refilled["email"]["value"] == "not-an-address" and refilled["text"]["value"] == long_text
        assert [o["value"] for o in refilled["urgency"]["options"] if o.get("default")] == ["high"]
        fixed = await h.fake.interaction(h.fake.modal_submit(
            reopened["data"]["custom_id"], {"email": "ana@example.org", "text": long_text},
            picked={"urgency": ["high"]}, user_id="940000000000000001"))
        done = await h.followup(fixed)
        assert "We will write to ana@example.org (high): my order arrived broken" in content(done)

    run(runner.app, scenario)


def test_a_user_and_a_yes_no_argument_are_picked_in_the_form(make_runner):
    runner = make_runner(sample.group)

    async def scenario(h):
        payload = await h.fake.interaction(h.fake.command("typed"))
        modal = (await h.callback(payload)).json["data"]
        inputs = _inputs(modal)
        assert set(inputs) == {"count", "loud", "colour", "who"}
        assert inputs["who"]["type"] == 5 and inputs["loud"]["type"] == 3
        assert [o["value"] for o in inputs["loud"]["options"]] == ["yes", "no"]
        submit = await h.fake.interaction(h.fake.modal_submit(
            modal["custom_id"], {"count": "3"}, picked={"loud": ["yes"], "colour": ["red"]},
            users={"who": ["940000000000000005"]}))
        answer = content(await h.followup(submit))
        assert "count: 4" in answer and "loud: True" in answer and "colour: red" in answer
        assert "940000000000000005" in answer

    run(runner.app, scenario)


def test_an_optional_reason_beside_required_arguments_is_optional_in_the_form(make_runner):
    """Only the free text a form is *for* is required (``/support`` alone); beside a required argument an
    optional reason stays optional (a form never forces what the command does not)."""
    from adapters.discord.modals import build_modal

    command = make_runner(sample.group).app.registry.get("flag-account")
    modal = build_modal(command, [command.param("account"), command.param("reason")], 1).to_dict()
    inputs = _inputs(modal)
    assert inputs["account"]["required"] is True and inputs["reason"]["required"] is False
    support = make_runner().app.registry.get("support")
    only_text = build_modal(support, [support.param("summary"), support.param("details")], 2).to_dict()
    assert _inputs(only_text)["details"]["required"] is True


# ---- forms when the database is slow or down, and across processes ------------------------------

def test_a_form_opens_at_once_when_the_database_is_slow_and_keeps_its_options_once_it_answers(make_runner):
    """Keeping a form's options in the database waits until the modal is sent: a slow database never holds
    the modal past Discord's 3 s (the policy peek alone is bounded at 1.5 s)."""
    import time as _time

    from chatops.models import FormDraft

    runner = make_runner(sample.group)

    async def scenario(h):
        store = h.bot.forms.store

        def slow_store(*args):
            _time.sleep(1.2)
            return store(*args)

        h.bot.forms.store = slow_store
        started = asyncio.get_running_loop().time()
        payload = await h.fake.interaction(h.fake.command("ask", [{"name": "topic", "type": 3, "value": "fees"}]))
        callback = await h.callback(payload)
        assert callback.json["type"] == 9
        assert asyncio.get_running_loop().time() - started < 1.0  # not after the database write
        for _ in range(100):
            if FormDraft.select().count():
                break
            await asyncio.sleep(0.05)
        assert FormDraft.get().given == {"topic": "fees"}  # ...which still happened

    run(runner.app, scenario)


def test_a_form_submitted_here_after_opening_elsewhere_uses_the_draft_and_drops_it(make_runner):
    from adapters.discord.modals import FormMemory
    from chatops.models import FormDraft

    runner = make_runner(sample.group)

    async def scenario(h):
        payload = await h.fake.interaction(h.fake.command("ask", [{"name": "topic", "type": 3, "value": "fees"}]))
        modal = (await h.callback(payload)).json["data"]
        for _ in range(100):
            if FormDraft.select().count():
                break
            await asyncio.sleep(0.05)
        h.bot.forms = FormMemory()  # a restart: this process's memory is empty, the database has the draft
        submit = await h.fake.interaction(h.fake.modal_submit(modal["custom_id"], {"text": "why two fees?"}))
        assert (await h.callback(submit)).json["type"] == 5
        assert "Asked about fees: why two fees?" in content(await h.followup(submit))
        assert FormDraft.select().count() == 0

    run(runner.app, scenario)


def test_a_form_submitted_while_the_database_is_down_is_refused_as_unavailable(make_runner, monkeypatch):
    """Every database call of the bot fails (a connection refused): the submission is told the service is
    briefly unavailable and nothing was done, not that the request could not be read."""
    import peewee

    runner = make_runner(sample.group)

    async def scenario(h):
        payload = await h.fake.interaction(h.fake.command("ask", [{"name": "topic", "type": 3, "value": "fees"}]))
        modal = (await h.callback(payload)).json["data"]
        h.bot.forms.take_local(str(payload["id"]), "ask")  # as if it was opened in another process

        def down(fn, *args, **kwargs):
            raise peewee.OperationalError("could not connect to server: Connection refused")

        monkeypatch.setattr(h.bot, "_with_connection", down)
        submit = await h.fake.interaction(h.fake.modal_submit(modal["custom_id"], {"text": "why two fees?"}))
        answer = content(await h.callback(submit))
        assert "briefly unavailable" in answer and "could not be read" not in answer, answer
        assert not WorkItem.select().where(WorkItem.key.contains(str(submit["id"]))).exists()

    run(runner.app, scenario)


# ---- an attempt run again after a crash ----------------------------------------------------------

def test_a_rerun_leaves_an_answered_original_alone_and_edits_one_still_thinking(make_runner):
    """A work item run again after its worker died (``rerun``) looks at the deferred response first: already
    edited into an answer (the preview, maybe confirmed since), it is not touched — no second answer, no
    confirmed result turned back into its preview; still "thinking…", it is edited into the answer."""
    from chatops.invocation import utcnow
    from chatops.reply import Reply

    runner = make_runner(sample.group)
    sample.FLAGS.clear()

    async def scenario(h):
        payload, _, preview = await h.command("set-flag", {"name": "rerun"})
        webhook = f"/webhooks/{APP_ID}/{payload['token']}"
        item = WorkItem.get(WorkItem.key.contains(str(payload["id"])))
        before = len(h.fake.calls)
        await h.bot.answer_item(item.payload, Reply.text("the same answer again"), utcnow(), rerun=True)
        after = [(c.method, c.path) for c in h.fake.calls[before:] if c.path.startswith(webhook)]
        assert after == [("GET", f"{webhook}/messages/@original")]  # looked, left it as it was

        thinking = dict(item.payload, token="tok-never-answered", interaction_id="930000000000000999")
        await h.bot.answer_item(thinking, Reply.text("late but here"), utcnow(), rerun=True)
        edit = await h.fake.wait_for("PATCH", "/webhooks/" + APP_ID + "/tok-never-answered/messages/@original")
        assert "late but here" in content(edit)

    run(runner.app, scenario)
