"""The Telegram adapter: Update -> flow event, Outcome -> Bot API calls. No SQL, no rules."""
