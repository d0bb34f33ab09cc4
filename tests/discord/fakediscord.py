"""A fake Discord on 127.0.0.1: the REST routes a bot calls and a JSON websocket gateway.

    fake = FakeDiscord()
    await fake.start()                       # points discord.py's Route.BASE / DEFAULT_GATEWAY here
    client = make_client(...); asyncio.create_task(client.start("token"))
    await fake.ready.wait()
    await fake.interaction(fake.command_payload("whoami"))
    call = await fake.wait_for("POST", "/webhooks/")   # the follow-up the bot sent
    await fake.stop()                        # restores the class attributes

It records every REST call (method, path, query, JSON body) and answers each
with the minimal JSON discord.py needs (``Content-Type: application/json``
exactly). Only what the adapter and its tests use is implemented; anything
else answers 404 and is recorded, so a test notices.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import aiohttp
import discord
import yarl
from aiohttp import web

APP_ID = "900000000000000001"
BOT_ID = "900000000000000002"
GUILD_ID = "910000000000000001"
CHANNEL_ID = "920000000000000001"
SUPPORT_CHANNEL_ID = "920000000000000002"


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    json: Any
    at: float = 0.0  # time.perf_counter() when the request reached the fake (before its body was read)


@dataclass
class FakeDiscord:
    guild_roles: list[dict[str, Any]] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    # Messages sent without a safe allowed_mentions (see check_mentions); the harness fails the test on any.
    mention_violations: list[str] = field(default_factory=list)
    # Payloads over Discord's documented limits (see check_limits); the harness fails the test on any.
    limit_violations: list[str] = field(default_factory=list)
    # A token this fake refuses with 401, as Discord does for a wrong or reset bot token.
    refused_token: str = ""
    # Answers for the next follow-ups (POST /webhooks/…), in order: (status, headers), e.g. Cloudflare's
    # 429 without a ``Via`` header, which discord.py does not retry itself.
    webhook_answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    # Called (on the fake's loop) with every answer through an interaction webhook (POST /webhooks/…, PATCH
    # …/messages/@original) once it is recorded and before the bot gets its response: a fault test kills the
    # bot here, after the answer arrived and before its work was marked done.
    on_answer: Callable[[Call], None] | None = None
    # Interaction token → its original response as last edited (None: deleted); see _answer.
    originals: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    # Status to answer for POST /channels/{id}/messages, by channel id (e.g. {"123": 403}).
    channel_status: dict[str, int] = field(default_factory=dict)
    # Status to answer an interaction's callback with, by interaction id (404: an interaction that expired).
    callback_status: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._ids = itertools.count(930000000000000001)
        self._seq = itertools.count(1)
        self._changed = asyncio.Condition()
        self.ready = asyncio.Event()
        self.ws: web.WebSocketResponse | None = None
        self.identifies = 0
        self.identified: list[dict[str, Any]] = []  # every IDENTIFY's ``d`` (its ``shard``: [id, count])
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._saved: tuple[str, yarl.URL] | None = None

    # ---- lifecycle -----------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._saved = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
        discord.http.Route.BASE = self.api_url
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def stop(self) -> None:
        if self.ws is not None and not self.ws.closed:
            await self.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._saved is not None:
            discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = self._saved

    # ---- waiting on what the bot did ---------------------------------------------------
    async def wait_for(self, method: str | tuple[str, ...], path_part: str = "", *,
                       where: Callable[[Call], bool] | None = None, after: int = 0, timeout: float = 5.0) -> Call:
        """The first call (from index ``after``) matching; waits for it to arrive. ``method`` may be a tuple."""
        methods = (method,) if isinstance(method, str) else method

        def find() -> Call | None:
            for call in self.calls[after:]:
                if call.method in methods and path_part in call.path and (where is None or where(call)):
                    return call
            return None

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: find() is not None), timeout)
        found = find()
        assert found is not None
        return found

    def ephemeral(self, sent: Call) -> bool:
        """Whether the message a call made is ephemeral: its own flags, or for an edit of a deferred original
        response, the flags the interaction was deferred with (Discord keeps them: an edit cannot change them)."""
        if sent.method == "PATCH" and sent.path.startswith("/webhooks/") and sent.path.endswith("/messages/@original"):
            token = sent.path.split("/")[3]
            for call in self.calls:
                if call.method == "POST" and call.path.endswith(f"/{token}/callback"):
                    return bool((((call.json or {}).get("data") or {}).get("flags") or 0) & 64)
        body = sent.json if isinstance(sent.json, dict) else {}
        return bool((body.get("data", body).get("flags") or 0) & 64)

    def find(self, method: str, path_part: str = "") -> list[Call]:
        return [c for c in self.calls if c.method == method and path_part in c.path]

    def check_limits(self, call: Call) -> None:
        """Discord's documented limits on what the bot sends: messages (content, embeds, components) and
        modals. A violation is recorded; the harness fails the test that produced it."""
        body = call.json if isinstance(call.json, dict) else {}
        if "/callback" in call.path:
            kind, data = body.get("type"), body.get("data") or {}
            if kind == 9:
                self._check_modal(call, data)
                return
            if kind not in (4, 7):
                return
        elif not ((call.path.startswith("/webhooks/") and call.method in ("POST", "PATCH"))
                  or (call.path.startswith("/channels/") and "/messages" in call.path
                      and call.method in ("POST", "PATCH") and not call.path.endswith("/threads"))):
            return
        else:
            data = body
        where = f"{call.method} {call.path}"
        bad = self.limit_violations.append
        if len(data.get("content") or "") > 2000:
            bad(f"{where}: content of {len(data['content'])} characters (max 2000)")
        embeds = data.get("embeds") or []
        if len(embeds) > 10:
            bad(f"{where}: {len(embeds)} embeds (max 10)")
        total = 0
        for e in embeds:
            for key, cap in (("title", 256), ("description", 4096)):
                if len(e.get(key) or "") > cap:
                    bad(f"{where}: embed {key} of {len(e[key])} characters (max {cap})")
                total += len(e.get(key) or "")
            fields = e.get("fields") or []
            if len(fields) > 25:
                bad(f"{where}: {len(fields)} embed fields (max 25)")
            for f in fields:
                if not f.get("name") or not f.get("value"):
                    bad(f"{where}: an embed field without a name or value")
                if len(f.get("name") or "") > 256 or len(f.get("value") or "") > 1024:
                    bad(f"{where}: an embed field over 256/1024 characters")
                total += len(f.get("name") or "") + len(f.get("value") or "")
        if total > 6000:
            bad(f"{where}: embeds of {total} characters in all (max 6000)")
        rows = data.get("components") or []
        if len(rows) > 5:
            bad(f"{where}: {len(rows)} component rows (max 5)")
        ids = []
        for row in rows:
            items = row.get("components") or []
            if len(items) > 5:
                bad(f"{where}: a row of {len(items)} components (max 5)")
            for item in items:
                if len(item.get("label") or "") > 80:
                    bad(f"{where}: a button label of {len(item['label'])} characters (max 80)")
                if item.get("custom_id") is not None:
                    ids.append(item["custom_id"])
        self._check_ids(where, ids)

    def _check_ids(self, where: str, ids: list[str]) -> None:
        for custom_id in ids:
            if not custom_id or len(custom_id) > 100:
                self.limit_violations.append(f"{where}: custom_id {custom_id!r} (1-100 characters)")
        if len(ids) != len(set(ids)):
            self.limit_violations.append(f"{where}: custom_ids are not unique: {ids}")

    def _check_modal(self, call: Call, data: dict) -> None:
        where, bad = f"modal {call.path}", self.limit_violations.append
        if not 1 <= len(data.get("title") or "") <= 45:
            bad(f"{where}: title {data.get('title')!r} (1-45 characters)")
        if len(data.get("custom_id") or "") > 100:
            bad(f"{where}: custom_id over 100 characters")
        parts = data.get("components") or []
        if not 1 <= len(parts) <= 5:
            bad(f"{where}: {len(parts)} components (1-5)")
        ids = []
        for part in parts:
            if part.get("type") == 18:  # a label around one input
                if not 1 <= len(part.get("label") or "") <= 45 or len(part.get("description") or "") > 100:
                    bad(f"{where}: label {part.get('label')!r} (1-45) or its description (max 100)")
                inner = [part.get("component") or {}]
            else:
                inner = part.get("components") or []
            for item in inner:
                ids.append(item.get("custom_id"))
                if len(item.get("placeholder") or "") > 150:
                    bad(f"{where}: a placeholder over 150 characters")
                options = item.get("options") or []
                if item.get("type") == 3 and not 1 <= len(options) <= 25:
                    bad(f"{where}: a select with {len(options)} options (1-25)")
                for o in options:
                    if not 1 <= len(o.get("label") or "") <= 100 or not 1 <= len(o.get("value") or "") <= 100:
                        bad(f"{where}: a select option over 100 characters")
                if item.get("type") == 4 and item.get("value") is not None and \
                        len(item["value"]) > (item.get("max_length") or 4000):
                    bad(f"{where}: a text input's value longer than its max_length")
        self._check_ids(where, ids)

    def check_mentions(self, call: Call) -> None:
        """Every message the bot sends or edits says who it may ping (allowed_mentions), and that is never
        @everyone/@here or a role: user text is quoted in messages (a ticket's summary in a staff card)."""
        body = call.json if isinstance(call.json, dict) else {}
        data = body.get("data", body) if "/callback" in call.path else body
        sends = (call.method == "POST" and call.path.endswith("/messages")) or (
            call.method == "PATCH" and call.path.startswith("/channels/") and "/messages/" in call.path) or (
            call.path.startswith("/webhooks/") and call.method in ("POST", "PATCH")) or (
            "/callback" in call.path and body.get("type") in (4, 7))
        if not sends or not isinstance(data, dict) or not ({"content", "embeds"} & set(data)):
            return
        allowed = data.get("allowed_mentions")
        if not isinstance(allowed, dict):
            self.mention_violations.append(f"{call.method} {call.path}: no allowed_mentions")
        elif {"everyone", "roles"} & set(allowed.get("parse") or ()) or allowed.get("roles"):
            self.mention_violations.append(f"{call.method} {call.path}: allowed_mentions {allowed}")
        elif "users" in (allowed.get("parse") or ()):
            self.mention_violations.append(f"{call.method} {call.path}: every user mention pings ({allowed})")

    async def _record(self, call: Call) -> None:
        self.check_mentions(call)
        self.check_limits(call)
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    # ---- REST ----------------------------------------------------------------------
    async def _rest(self, request: web.Request) -> web.Response:
        at = time.perf_counter()
        path = "/" + request.match_info["tail"]
        body: Any = None
        if request.can_read_body:
            raw = await request.read()
            if raw:
                body = json.loads(raw)
        call = Call(request.method, path, dict(request.query), body, at)
        if self.refused_token and request.headers.get("Authorization") == f"Bot {self.refused_token}":
            await self._record(call)
            return web.Response(status=401, body=b'{"message": "401: Unauthorized", "code": 0}',
                                headers={"Content-Type": "application/json"})
        if self.webhook_answers and path.startswith("/webhooks/") and (
                call.method == "POST" or (call.method == "PATCH" and path.endswith("/messages/@original"))):
            status, headers = self.webhook_answers.pop(0)
            await self._record(call)
            return web.Response(status=status, text="error code: 1015", headers=headers)
        status, payload = self._answer(call)
        await self._record(call)
        if self.on_answer is not None and path.startswith("/webhooks/") and call.method in ("POST", "PATCH"):
            self.on_answer(call)
        if status == 204:
            return web.Response(status=204)
        return web.Response(status=status, body=json.dumps(payload).encode(),
                            headers={"Content-Type": "application/json"})

    def _answer(self, call: Call) -> tuple[int, Any]:
        m, p, parts = call.method, call.path, call.path.strip("/").split("/")
        if m == "GET" and p == "/users/@me":
            return 200, self.bot_user
        if m == "GET" and p == "/oauth2/applications/@me":
            return 200, {"id": APP_ID, "name": "chatops", "icon": None, "description": "", "bot_public": True,
                         "bot_require_code_grant": False, "verify_key": "0" * 64, "flags": 0,
                         "owner": self.user_payload("900000000000000009", "owner")}
        if m == "GET" and p == "/gateway/bot":
            return 200, {"url": self.gateway_url, "shards": 1,
                         "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0,
                                                 "max_concurrency": 1}}
        if m == "POST" and parts[0] == "interactions" and parts[-1] == "callback":
            if parts[1] in self.callback_status:
                return self.callback_status[parts[1]], {"message": "Unknown interaction", "code": 10062}
            return 200, {"interaction": {"id": parts[1], "type": 2, "activity_instance_id": None,
                                         "response_message_id": None, "response_message_loading": False,
                                         "response_message_ephemeral": False}}
        if parts[0] == "webhooks":
            # An interaction's original response, by token: "thinking…" (flag LOADING) until it is edited,
            # then the edited message; gone once deleted (as Discord keeps it).
            original = len(parts) == 5 and parts[3] == "messages" and parts[4] == "@original"
            token = parts[2] if len(parts) > 2 else ""
            if original and m == "GET":
                if token in self.originals:
                    kept = self.originals[token]
                    return (404, {"message": "Unknown Message", "code": 10008}) if kept is None else (200, kept)
                return 200, {**self.message_payload(CHANNEL_ID, {}), "flags": 128}
            if m == "DELETE":
                if original:
                    self.originals[token] = None
                return 204, None
            message = self.message_payload(CHANNEL_ID, call.json or {})
            if original and m == "PATCH":
                self.originals[token] = {**message, "flags": (call.json or {}).get("flags", 0) & ~128}
            return 200, message
        if parts[0] == "applications" and parts[-1] == "commands" and m == "PUT":
            return 200, [{**c, "id": str(next(self._ids)), "application_id": APP_ID, "version": "1"}
                         for c in call.json]
        if m == "POST" and p == "/users/@me/channels":  # a DM channel with a user
            recipient = (call.json or {}).get("recipient_id", "0")
            return 200, {"id": str(int(recipient) + 1), "type": 1, "recipients": [self.user_payload(recipient, "user")]}
        if parts[0] == "channels" and m == "POST" and parts[-1] == "messages":
            status = self.channel_status.get(parts[1], 200)
            if status != 200:
                return status, {"message": "Missing Access", "code": 50001}
            return 200, self.message_payload(parts[1], call.json or {})
        if parts[0] == "channels" and m == "POST" and parts[-1] == "threads":
            # A thread started from a message has that message's id (as on Discord).
            thread_id = parts[3] if len(parts) == 5 and parts[2] == "messages" else str(next(self._ids))
            return 201, {"id": thread_id, "type": 11, "guild_id": GUILD_ID, "parent_id": parts[1],
                         "name": (call.json or {}).get("name", ""), "owner_id": BOT_ID,
                         "thread_metadata": {"archived": False, "auto_archive_duration": 1440,
                                             "archive_timestamp": "2026-01-05T09:00:00+00:00", "locked": False}}
        if parts[0] == "channels" and m == "PATCH" and "messages" in parts:
            return 200, self.message_payload(parts[1], call.json or {}, message_id=parts[3])
        return 404, {"message": "Unknown route (fake)", "code": 0}

    # ---- payloads --------------------------------------------------------------------
    @property
    def bot_user(self) -> dict[str, Any]:
        return {**self.user_payload(BOT_ID, "chatops"), "bot": True}

    @staticmethod
    def user_payload(user_id: str, name: str) -> dict[str, Any]:
        return {"id": user_id, "username": name, "discriminator": "0", "global_name": name.title(),
                "avatar": None}

    def message_payload(self, channel_id: str, body: dict[str, Any], *, message_id: str | None = None
                        ) -> dict[str, Any]:
        return {"id": message_id or str(next(self._ids)), "channel_id": channel_id, "type": 0,
                "content": body.get("content") or "", "author": self.bot_user,
                "embeds": body.get("embeds") or [], "components": body.get("components") or [],
                "attachments": [], "mentions": [], "mention_roles": [], "pinned": False, "mention_everyone": False,
                "tts": False, "timestamp": "2026-01-05T09:00:00+00:00", "edited_timestamp": None,
                "flags": body.get("flags", 0)}

    def guild_payload(self) -> dict[str, Any]:
        everyone = {"id": GUILD_ID, "name": "@everyone", "permissions": "0", "position": 0, "color": 0,
                    "hoist": False, "managed": False, "mentionable": False, "flags": 0}
        channel = {"id": CHANNEL_ID, "type": 0, "name": "general", "position": 0, "guild_id": GUILD_ID,
                   "permission_overwrites": [], "nsfw": False, "parent_id": None}
        support = {**channel, "id": SUPPORT_CHANNEL_ID, "name": "maker-dao-support", "position": 1}
        return {"id": GUILD_ID, "name": "Maker DAO", "unavailable": False, "member_count": 3,
                "roles": [everyone, *self.guild_roles], "channels": [channel, support], "threads": [],
                "members": [], "voice_states": [], "presences": [], "emojis": [], "stickers": [], "features": [],
                "owner_id": "900000000000000009", "large": False, "joined_at": "2026-01-01T00:00:00+00:00",
                "verification_level": 0, "default_message_notifications": 0, "explicit_content_filter": 0,
                "mfa_level": 0, "premium_tier": 0, "preferred_locale": "en-US", "nsfw_level": 0,
                "system_channel_flags": 0, "icon": None, "splash": None, "banner": None, "description": None}

    # ---- gateway -----------------------------------------------------------------------
    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.ws = ws
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 45000}}))
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                break
            data = json.loads(msg.data)
            if data["op"] == 1:
                await ws.send_str(json.dumps({"op": 11}))
            elif data["op"] == 2:
                self.identifies += 1
                self.identified.append(data["d"])
                await self.dispatch("READY", {
                    "v": 10, "user": self.bot_user, "guilds": [{"id": GUILD_ID, "unavailable": True}],
                    "session_id": f"session-{self.identifies}", "resume_gateway_url": self.gateway_url,
                    "application": {"id": APP_ID, "flags": 0}, "shard": data["d"].get("shard", [0, 1]),
                })
                await self.dispatch("GUILD_CREATE", self.guild_payload())
                self.ready.set()
        return ws

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        assert self.ws is not None, "no bot is connected"
        await self.ws.send_str(json.dumps({"op": 0, "t": event, "s": next(self._seq), "d": data}))

    # ---- events a test sends -------------------------------------------------------------
    def member(self, user_id: str, name: str = "user", roles: tuple[str, ...] = ()) -> dict[str, Any]:
        return {"user": self.user_payload(user_id, name), "roles": list(roles), "joined_at": "2026-01-01T00:00:00+00:00",
                "deaf": False, "mute": False, "flags": 0, "permissions": "2147483647", "nick": None}

    def interaction_payload(self, itype: int, data: dict[str, Any], *, user_id: str = "940000000000000001",
                            roles: tuple[str, ...] = (), dm: bool = False, message: dict[str, Any] | None = None,
                            channel_id: str = CHANNEL_ID) -> dict[str, Any]:
        iid = str(next(self._ids))
        payload: dict[str, Any] = {"id": iid, "application_id": APP_ID, "type": itype, "token": f"tok-{iid}",
                                   "version": 1, "attachment_size_limit": 8388608, "data": data,
                                   "locale": "en-US", "entitlements": []}
        if dm:
            dm_channel = str(int(user_id) + 1)
            payload["user"] = self.user_payload(user_id, "user")
            payload["channel"] = {"id": dm_channel, "type": 1}
            payload["channel_id"] = dm_channel
        else:
            payload["guild_id"] = GUILD_ID
            payload["member"] = self.member(user_id, roles=roles)
            payload["channel"] = {"id": channel_id, "type": 0, "guild_id": GUILD_ID, "name": "general"}
            payload["channel_id"] = channel_id
        if message is not None:
            payload["message"] = message
        return payload

    def command(self, name: str, options: list[dict[str, Any]] | None = None, **kw) -> dict[str, Any]:
        data = {"id": "950000000000000001", "name": name, "type": 1, "options": options or []}
        if "resolved" in kw:
            data["resolved"] = kw.pop("resolved")
        return self.interaction_payload(2, data, **kw)

    def button(self, custom_id: str, *, ephemeral_message: bool = False, **kw) -> dict[str, Any]:
        message = self.message_payload(CHANNEL_ID, {"content": "original", "flags": 64 if ephemeral_message else 0})
        return self.interaction_payload(3, {"custom_id": custom_id, "component_type": 2}, message=message, **kw)

    def modal_submit(self, custom_id: str, values: dict[str, str], *, picked: dict[str, list[str]] | None = None,
                     users: dict[str, list[str]] | None = None, **kw) -> dict[str, Any]:
        """A modal submission: text inputs (``values``, in action rows as older clients send them), and select
        menus / user selects (``picked`` / ``users``: chosen values, in labels as Discord sends them)."""
        rows: list[dict[str, Any]] = [{"type": 1, "components": [{"type": 4, "custom_id": k, "value": v}]}
                                      for k, v in values.items()]
        rows += [{"type": 18, "id": 1, "component": {"type": 3, "custom_id": k, "values": v}}
                 for k, v in (picked or {}).items()]
        rows += [{"type": 18, "id": 2, "component": {"type": 5, "custom_id": k, "values": v}}
                 for k, v in (users or {}).items()]
        return self.interaction_payload(5, {"custom_id": custom_id, "components": rows}, **kw)

    async def interaction(self, payload: dict[str, Any]) -> dict[str, Any]:
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload

    async def dm(self, content: str, *, user_id: str = "940000000000000001", bot: bool = False) -> dict[str, Any]:
        author = {**self.user_payload(user_id, "user"), **({"bot": True} if bot else {})}
        payload = {**self.message_payload(str(int(user_id) + 1), {"content": content}), "author": author}
        await self.dispatch("MESSAGE_CREATE", payload)
        return payload
