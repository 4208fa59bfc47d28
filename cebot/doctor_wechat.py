"""The WeChat checks of `cebot doctor` (run only when WECHAT_APP_ID is set): the settings the
official account's configuration must match, then a token from the API, through the shared
token of the database (a doctor run must not fetch one of its own: each fetch retires the
token the bot's workers use)."""

from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import urlsplit

from bot.wechat.templates import TemplateConfigError, parse_templates
from cebot.cli_ops import Finding, Level, _found, _is_loopback
from cebot.settings import Settings

APP_ID = re.compile(r"wx[0-9a-f]{16}")
APP_SECRET = re.compile(r"[0-9A-Za-z]{32}")
TOKEN = re.compile(r"[A-Za-z0-9]{3,32}")  # WeChat's rule for the server configuration's Token
AES_KEY = re.compile(r"[A-Za-z0-9+/]{43}")  # base64 of 32 bytes, without the final "="
ORIGINAL_ID = re.compile(r"gh_[0-9a-f]{12}")
MODES = ("plain", "compatible", "safe")


def valid_aes_key(key: str) -> bool:
    if not AES_KEY.fullmatch(key):
        return False
    try:
        return len(base64.b64decode(key + "=", validate=True)) == 32
    except binascii.Error:
        return False


def _secret(value: object) -> str:
    getter = getattr(value, "get_secret_value", None)
    return str(getter()) if getter else ""


def check_wechat_config(settings: Settings) -> list[Finding]:
    app_id = settings.wechat_app_id
    if not app_id:
        return []  # no WeChat channel: nothing to say
    found = [_found("ok" if APP_ID.fullmatch(app_id) else "warn", "wechat-appid", app_id=app_id)]
    secret = _secret(settings.wechat_app_secret)
    if not secret:
        found.append(_found("fail", "wechat-secret"))
    else:
        found.append(_found("ok" if APP_SECRET.fullmatch(secret) else "warn", "wechat-secret"))
    found.append(
        _found("ok" if TOKEN.fullmatch(_secret(settings.wechat_token)) else "fail", "wechat-token")
    )
    mode = settings.wechat_message_mode
    if mode not in MODES:
        found.append(_found("fail", "wechat-mode", mode=mode))
    else:
        found.append(_found("warn" if mode == "plain" else "ok", "wechat-mode", mode=mode))
    aes_key = _secret(settings.wechat_encoding_aes_key)
    if aes_key:
        found.append(_found("ok" if valid_aes_key(aes_key) else "fail", "wechat-aeskey"))
    elif mode in ("safe", "compatible"):
        found.append(_found("fail", "wechat-aeskey-missing", mode=mode))
    original = settings.wechat_original_id
    if not original:
        found.append(_found("warn", "wechat-originalid"))
    else:
        level: Level = "ok" if ORIGINAL_ID.fullmatch(original) else "fail"
        found.append(_found(level, "wechat-originalid", original_id=original))
    found.append(check_wechat_url(settings.public_url))
    if settings.wechat_templates.strip():
        # the sender's own parser: doctor accepts exactly what the sender will use
        try:
            parse_templates(settings.wechat_templates)
        except TemplateConfigError as exc:
            found.append(_found("fail", "wechat-templates", reason=str(exc)))
    return found


def check_wechat_url(public_url: str) -> Finding:
    """The URL to enter in the account's server configuration. WeChat posts only to ports 80
    and 443, and cannot reach this machine's loopback."""
    from bot.wechat.webhook import WECHAT_PATH

    url = public_url.rstrip("/") + WECHAT_PATH
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme in ("http", "https") and _is_loopback(parts.hostname):
        return _found("warn", "wechat-url", url=url)  # a trial against the fake, any port
    if parts.scheme not in ("http", "https") or port not in (None, 80, 443):
        return _found("fail", "wechat-url", url=url)
    return _found("ok", "wechat-url", url=url)


async def check_wechat_api(settings: Settings) -> list[Finding]:
    """A working token from WECHAT_API_BASE_URL, and one call made with it."""
    if not settings.wechat_app_id or not _secret(settings.wechat_app_secret):
        return []  # nothing to try (the configuration check says why)
    from bot.wechat.api import WeChatApi, WeChatError
    from services.context import utc_now
    from storage.db import Database

    db = Database(settings.database_url)
    api = WeChatApi.from_settings(settings, db, utc_now)
    assert api is not None
    try:
        ips = await api.callback_ips()
    except WeChatError as exc:
        return [_found("fail", "wechat-api", error=f"{exc.errcode} {exc.errmsg}")]
    except Exception as exc:  # network or database: only the kind (a URL carries the token)
        return [_found("fail", "wechat-api", error=type(exc).__name__)]
    finally:
        await api.aclose()
        await db.dispose()
    return [_found("ok", "wechat-api", ips=len(ips))]
