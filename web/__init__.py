"""Public web pages: certificate verification (the QR code's target) and health.

`verification_routes(ctx)` is mounted by the webhook app (bot/webhook.py); `build_web_app(ctx)`
serves the same pages on their own (`uvicorn --factory`, tests)."""

from web.verify import RateLimiter, build_web_app, verification_routes

__all__ = ["RateLimiter", "build_web_app", "verification_routes"]
