"""Use cases shared by the bot, the command line, the web app and the scheduler.
Each public coroutine is one transaction."""
