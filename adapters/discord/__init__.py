"""The Discord adapter (discord.py, gateway): app commands, DMs, persistent buttons, modals, the outbox.

    from adapters.discord.bot import DiscordBot
    bot = DiscordBot(app)                 # reads DISCORD_* settings from app.settings
    await bot.client.start(token)         # or: chatops discord run

It translates an interaction or DM into an ``Invocation`` and a ``Reply`` into
messages, embeds and components; every decision is the core router's. See
docs/discord.md for setting up the Discord application.
"""
