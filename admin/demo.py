"""The demo's panel login, created by ``chatops demo`` (entry point ``chatops.seeders`` → ``admin``).

The password is random and printed once, when the user is created; run
``chatops admin set-password demo`` to choose another.
"""
from __future__ import annotations

import secrets
from typing import Callable

from admin.models import AdminUser
from admin.security import create_user

DEMO_USER = "demo"


def seed(echo: Callable[[str], None] = print) -> AdminUser:
    user = AdminUser.get_or_none(AdminUser.username == DEMO_USER)
    if user is not None:
        echo(f"Admin panel (/admin/): user {DEMO_USER!r} (password printed when it was created; "
             f"`chatops admin set-password {DEMO_USER}` sets a new one). Start in the playground.")
        return user
    password = secrets.token_urlsafe(12)
    user = create_user(DEMO_USER, password, role="admin", by="demo")
    echo(f"Admin panel (/admin/): user {DEMO_USER!r}, password {password!r}. "
         "Start in the playground.")
    return user
