"""`cebot doctor`: checks what a deployment needs and says what to fix. Registered by
cebot/cli.py; cebot.cli is imported inside the command to avoid a cycle."""

from __future__ import annotations

import asyncio
import ctypes.util
import ipaddress
import math
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

import httpx
import typer

from cebot.settings import Settings

Level = Literal["ok", "warn", "fail"]
MARKS = {"ok": "✓", "warn": "!", "fail": "✗"}
# what Telegram's setWebhook accepts as secret_token
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
SECRET_KEY_BITS = 256  # CEBOT_SECRET_KEY: at least 32 bytes of entropy
_CHARACTER_CLASSES = (
    (re.compile(r"[a-z]"), 26),
    (re.compile(r"[A-Z]"), 26),
    (re.compile(r"[0-9]"), 10),
    (re.compile(r"[^A-Za-z0-9]"), 32),  # punctuation and the rest, counted modestly
)


@dataclass(frozen=True)
class Finding:
    level: Level
    key: str  # message key cli-doctor-<key>-<level>
    args: dict[str, str]


def _found(level: Level, key: str, **args: object) -> Finding:
    return Finding(level, key, {k: str(v) for k, v in args.items()})


def estimated_entropy_bits(key: str) -> float:
    """A generous estimate of a key's entropy: length × log2(the alphabet its character
    classes span); a key of few distinct characters ("aaaa…", "abab…", a repeated word)
    counts only log2(distinct) per character, however long. secrets.token_urlsafe(32) gives
    about 280 bits, `openssl rand -hex 32` about 330."""
    if not key:
        return 0.0
    alphabet = sum(size for pattern, size in _CHARACTER_CLASSES if pattern.search(key))
    distinct = len(set(key))
    if distinct < min(10, len(key) / 2):
        alphabet = max(distinct, 1)
    return len(key) * math.log2(alphabet) if alphabet > 1 else 0.0


def _is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_public_url(url: str) -> Finding:
    """Telegram delivers webhooks only to https, and phones open certificate links from
    anywhere; plain http is accepted only on this machine's loopback, for a trial."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return _found("ok", "publicurl", url=url)
    if parts.scheme == "http" and _is_loopback(parts.hostname):
        return _found("warn", "publicurl", url=url)
    return _found("fail", "publicurl", url=url)


def check_config(settings: Settings) -> list[Finding]:
    found = []
    token = settings.telegram_bot_token
    found.append(
        _found("ok", "token")
        if token is not None and token.get_secret_value()
        else _found("warn", "token")
    )
    postgres = settings.database_url.startswith("postgresql")
    if settings.secret_key is not None and settings.secret_key.get_secret_value():
        bits = estimated_entropy_bits(settings.secret_key.get_secret_value())
        if bits >= SECRET_KEY_BITS:
            found.append(_found("ok", "secret"))
        else:
            found.append(_found("fail", "secret-weak", bits=int(bits), need=SECRET_KEY_BITS))
    elif postgres:
        # several workers must share the key, or each would hash ID numbers differently
        found.append(_found("fail", "secret"))
    else:
        found.append(_found("warn", "secret", path=settings.data_dir / "secret.key"))
    found.append(check_public_url(settings.public_url))
    if settings.webhook_secret is not None:
        # Telegram refuses others in setWebhook: the webhook would never be registered
        if WEBHOOK_SECRET.fullmatch(settings.webhook_secret.get_secret_value()):
            found.append(_found("ok", "webhook"))
        else:
            found.append(_found("fail", "webhook-chars"))
    elif settings.public_url.startswith("https://"):
        found.append(_found("fail", "webhook"))
    return found


def check_data_dir(settings: Settings) -> Finding:
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=settings.data_dir):
            pass
    except OSError as exc:
        return _found("fail", "datadir", path=settings.data_dir, error=type(exc).__name__)
    return _found("ok", "datadir", path=settings.data_dir)


def check_fonts() -> list[Finding]:
    found = []
    fc_list = shutil.which("fc-list")
    families = ""
    if fc_list:
        families = subprocess.run(
            [fc_list, ":lang=zh", "family"], capture_output=True, text=True, check=False
        ).stdout
    found.append(
        _found("ok", "fonts") if "Noto" in families or families.strip() else _found("fail", "fonts")
    )
    # without it WeasyPrint embeds whole CJK fonts: ~26 s per certificate instead of ~0.3 s
    found.append(
        _found("ok", "harfbuzz")
        if ctypes.util.find_library("harfbuzz-subset")
        else _found("fail", "harfbuzz")
    )
    return found


async def check_database(settings: Settings) -> list[Finding]:
    from storage import migrate

    try:
        current = await asyncio.to_thread(migrate.current_revision, settings.database_url)
    except Exception as exc:
        return [_found("fail", "database", error=type(exc).__name__)]
    head = migrate.head_revision()
    if not migrate.at_or_past_head(current):
        return [
            _found("ok", "database"),
            _found("fail", "migration", current=current or "-", head=head or "-"),
        ]
    if current != head:  # a later release's revision: this code is the one behind
        return [_found("ok", "database"), _found("warn", "migration", current=current, head=head)]
    return [_found("ok", "database"), _found("ok", "migration", current=current)]


def check_policy(settings: Settings) -> Finding:
    from cebot.cli import admin_policy_dir
    from services.context import utc_now
    from services.policies import PolicyBook, local_today

    year = local_today(utc_now()).year
    try:
        book = PolicyBook.load(admin_policy_dir(settings))
    except Exception as exc:
        return _found("fail", "policy-load", error=type(exc).__name__)
    if year in book:
        return _found("ok", "policy-demo" if book[year].demo else "policy", year=year)
    return _found("warn", "policy", year=year)


async def check_bot_api(settings: Settings) -> Finding:
    token = settings.telegram_bot_token
    if token is None or not token.get_secret_value():
        return _found("warn", "botapi")
    url = f"{settings.telegram_base_url}{token.get_secret_value()}/getMe"
    try:
        async with httpx.AsyncClient(timeout=5.0) as client:
            response = await client.get(url)
        data = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        # the URL holds the token: only the error's kind is shown
        return _found("fail", "botapi", error=type(exc).__name__)
    if not data.get("ok"):
        return _found("fail", "botapi", error=str(data.get("description", response.status_code)))
    return _found("ok", "botapi", username=data["result"].get("username", "?"))


async def run_checks(settings: Settings) -> list[Finding]:
    findings = [*check_config(settings), check_data_dir(settings)]
    findings.extend(await check_database(settings))
    findings.append(check_policy(settings))
    findings.extend(check_fonts())
    findings.append(await check_bot_api(settings))
    # the WeChat service account, when WECHAT_APP_ID is set (cebot/doctor_wechat.py)
    from cebot.doctor_wechat import check_wechat_api, check_wechat_config

    findings.extend(check_wechat_config(settings))
    findings.extend(await check_wechat_api(settings))
    return findings


def doctor() -> None:
    """Check the configuration, database, fonts, Bot API and WeChat; say what to fix."""
    from cebot.cli import _settings, _t

    settings = _settings()
    t = _t()
    findings = asyncio.run(run_checks(settings))
    for f in findings:
        typer.echo(f"{MARKS[f.level]} {t(f'cli-doctor-{f.key}-{f.level}', **f.args)}")
    failed = sum(f.level == "fail" for f in findings)
    warned = sum(f.level == "warn" for f in findings)
    typer.echo(t("cli-doctor-summary", failed=failed, warned=warned))
    if failed:
        raise typer.Exit(1)
