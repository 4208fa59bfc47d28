"""`cebot wechat ...`: the WeChat service account (服务号). `menu show` prints the custom menu
built from the bot's commands, `menu push` sends it to WeChat (menu/create).

Registered by cebot/cli.py (`app.add_typer(wechat_app, name="wechat")`); cebot.cli's helpers
are imported when a command runs, so that this module imports without a cycle."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

import httpx
import typer

from bot.wechat.api import WeChatApi, WeChatError
from bot.wechat.menu import MenuTooLarge, build_menu
from services.i18n import LANGUAGES, Translator, translator

wechat_app = typer.Typer(help="WeChat service account (微信公众号).", no_args_is_help=True)
menu_app = typer.Typer(help="The account's custom menu.", no_args_is_help=True)
wechat_app.add_typer(menu_app, name="menu")

Language = Annotated[
    str | None,
    typer.Option("--language", help=f"Menu language, one of {', '.join(LANGUAGES)}."),
]


def _menu(language: str | None) -> dict[str, Any]:
    from cebot.cli import CliError, _settings, _t

    t = translator(language or _settings().language)
    try:
        return build_menu(t)
    except MenuTooLarge as exc:
        raise CliError(_t()("cli-wechat-menu-too-large", problem=str(exc))) from exc


@menu_app.command("show")
def menu_show(language: Language = None) -> None:
    """Print the menu as JSON (what `menu push` sends)."""
    from cebot.cli import friendly

    @friendly
    def run() -> None:
        typer.echo(json.dumps(_menu(language), ensure_ascii=False, indent=2))

    run()


@menu_app.command("push")
def menu_push(language: Language = None) -> None:
    """Send the menu to WeChat, replacing the account's current one."""
    from cebot.cli import CliError, _settings, _t, ensure_migrated, friendly
    from services.context import utc_now
    from storage.db import Database

    @friendly
    def run() -> None:
        settings = _settings()
        t = _t()
        menu = _menu(language)
        if not settings.wechat_app_id:
            raise CliError(t("cli-wechat-not-configured"))
        secret = settings.wechat_app_secret
        if secret is None or not secret.get_secret_value():
            raise CliError(t("cli-doctor-wechat-secret-fail"))
        ensure_migrated(settings)  # the token is kept in the database, shared with the bot
        db = Database(settings.database_url)
        api = WeChatApi.from_settings(settings, db, utc_now)
        assert api is not None  # the app id is set

        async def push() -> None:
            try:
                await api.create_menu(menu)
            finally:
                await api.aclose()
                await db.dispose()

        try:
            asyncio.run(push())
        except WeChatError as exc:
            error = t("cli-wechat-api-error", errcode=exc.errcode, errmsg=exc.errmsg)
            raise CliError(error) from None
        except httpx.HTTPError as exc:  # only the kind: the URL would carry the token
            raise CliError(t("cli-wechat-unreachable", error=type(exc).__name__)) from None
        items = sum(len(b["sub_button"]) for b in menu["button"])
        typer.echo(t("cli-wechat-menu-pushed", buttons=len(menu["button"]), items=items))

    run()


@wechat_app.command("token")
def token_status() -> None:
    """Show the shared access token's state (never the token): when it expires, and whether a
    worker is fetching a new one."""
    from cebot.cli import CliError, _settings, _t, ensure_migrated, friendly

    @friendly
    def run() -> None:
        settings = _settings()
        t = _t()
        if not settings.wechat_app_id:
            raise CliError(t("cli-wechat-not-configured"))
        ensure_migrated(settings)
        typer.echo(asyncio.run(_token_lines(settings.database_url, settings.wechat_app_id, t)))

    run()


async def _token_lines(database_url: str, app_id: str, t: Translator) -> str:
    from services.context import utc_now
    from services.policies import SHANGHAI
    from storage.db import Database
    from storage.wechat_models import WeChatToken

    db = Database(database_url)
    try:
        async with db.transaction() as session:
            row = await session.get(WeChatToken, app_id)
    finally:
        await db.dispose()
    if row is None or row.token is None or row.expires_at is None:
        lines = [t("cli-wechat-token-none", app_id=app_id)]
    else:
        left = int((row.expires_at - utc_now()).total_seconds() // 60)
        local = row.expires_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
        key = "cli-wechat-token-valid" if left > 0 else "cli-wechat-token-expired"
        lines = [t(key, app_id=app_id, expires=local, minutes=max(left, 0))]
    if row is not None and row.refreshed_by is not None:
        lines.append(t("cli-wechat-token-refreshing", worker=row.refreshed_by))
    return "\n".join(lines)
