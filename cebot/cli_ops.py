"""`cebot doctor`: checks what a deployment needs and says what to fix. Registered by
cebot/cli.py; cebot.cli is imported inside the command to avoid a cycle."""

from __future__ import annotations

import asyncio
import ctypes.util
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from typing import Literal

import httpx
import typer

from cebot.settings import Settings

Level = Literal["ok", "warn", "fail"]
MARKS = {"ok": "✓", "warn": "!", "fail": "✗"}


@dataclass(frozen=True)
class Finding:
    level: Level
    key: str  # message key cli-doctor-<key>-<level>
    args: dict[str, str]


def _found(level: Level, key: str, **args: object) -> Finding:
    return Finding(level, key, {k: str(v) for k, v in args.items()})


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
        found.append(_found("ok", "secret"))
    elif postgres:
        # several workers must share the key, or each would hash ID numbers differently
        found.append(_found("fail", "secret"))
    else:
        found.append(_found("warn", "secret", path=settings.data_dir / "secret.key"))
    if settings.public_url.startswith("https://") and settings.webhook_secret is None:
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
    if current != head:
        return [
            _found("ok", "database"),
            _found("fail", "migration", current=current or "-", head=head or "-"),
        ]
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
    return findings


def doctor() -> None:
    """Check the configuration, database, fonts and Bot API; say what to fix."""
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
