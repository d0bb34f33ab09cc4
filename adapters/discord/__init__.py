"""The Discord adapter (discord.py's gateway, or HTTP interactions): app commands, DMs, buttons, modals, the outbox.

    from adapters.discord.bot import DiscordBot
    bot = DiscordBot(app)                 # reads DISCORD_* settings from app.settings
    await bot.client.start(token)         # or: chatops discord run
    # HTTP interactions: adapters.discord.http.init_app mounts POST /discord/interactions (DISCORD_PUBLIC_KEY)

It translates an interaction or DM into an ``Invocation`` and a ``Reply`` into
messages, embeds and components; every decision is the core router's. See
docs/discord.md for setting up the Discord application.
"""
