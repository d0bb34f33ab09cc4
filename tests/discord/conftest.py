"""discord.py imports the stdlib ``audioop`` (voice), deprecated in Python 3.11+; pytest turns warnings
into errors, so import discord once here with that one warning ignored."""
from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="'audioop' is deprecated", category=DeprecationWarning)
    import discord  # noqa: F401
