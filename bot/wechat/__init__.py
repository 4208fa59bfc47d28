"""The WeChat service account (服务号) adapter: the same flows as Telegram, with what WeChat
allows (signed XML webhooks, passive replies within 5 s, customer-service and template
messages, numbered choices instead of buttons)."""
