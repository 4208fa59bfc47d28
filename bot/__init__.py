"""The chat front ends: a channel-neutral flow engine (bot.flows) and its adapters
(Telegram in bot.handlers and bot.app, a terminal in bot.console)."""
