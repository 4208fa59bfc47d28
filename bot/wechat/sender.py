"""The outbox sender's `send` callable for WeChat: a customer-service message (客服消息) while
the user's window is open, a template message (模板消息) outside it.

For each row (services.outbox.OUTGOING says which account and notice it is):
1. a slot in the customer-service window (services.wechat_window.take_slot) -> the text with
   its buttons as numbered lines, which become the account's current screen once sent (so
   the user's "2" presses the second button; bot.wechat.screens);
2. otherwise the notice kind's template (bot.wechat.templates), without buttons, with its
   link. No template for the kind -> PermanentError with the kind in last_error: WeChat will
   not deliver the text outside the window, and holding the row until the user writes again
   could hold it for ever, then deliver a stale reminder; failing shows in the campaign
   report (failed) and the log says which template to configure.

WeChat's answers, mapped onto the sender's outcomes:
- 43004 (the user unfollowed), 43019 (the user blocked the account) -> Unreachable.
- 45015 (window closed after all) and 45047 (the window's messages used up) -> the window is
  closed in the table, and the template is tried once instead. 45047 is the per-user count
  of the window, not a daily quota, so waiting for tomorrow would not help that user.
- 45002 (the text too long for a customer-service message: a broadcast may hold 4,000
  characters) -> the template once, which carries its title and link.
- 45009 (the API's daily quota) -> that API (custom or template) is not called again until
  00:00 Asia/Shanghai, when WeChat resets it; a row that cannot go either way is RetryLater
  until then, and so are the rows after it, without a call each.
- an expired token (40001/40014/42001) is the API client's: it refreshes once and retries.
- transport errors -> TransientError; `maybe_delivered` unless the request certainly never
  left (connect failure or pool timeout), as the Telegram sender decides. errcode -1 (system
  busy, or an HTTP error status) also counts as maybe delivered: at most once.
- any other errcode -> PermanentError (the same request would fail again).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx

from bot.wechat.api import WeChatApi, WeChatError
from bot.wechat.screens import remember_choices, render_numbered
from bot.wechat.templates import MissingSource, TemplateMap, template_url, template_values
from services.i18n import translator
from services.metrics import SENDS
from services.outbox import (
    OUTGOING,
    Buttons,
    Outgoing,
    PermanentError,
    RetryLater,
    SendFn,
    TransientError,
    Unreachable,
)
from services.wechat_window import close_window, take_slot
from storage.db import Database

log = logging.getLogger(__name__)

WECHAT = "wechat"
SHANGHAI = ZoneInfo("Asia/Shanghai")
UNREACHABLE_CODES = frozenset({43004, 43019})
WINDOW_CLOSED_CODES = frozenset({45015, 45047})
TOO_LONG_CODES = frozenset({45002})  # the text is longer than a customer-service message takes
QUOTA_CODES = frozenset({45009})
CUSTOM, TEMPLATE = "custom", "template"
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def next_quota_reset(now: datetime) -> datetime:
    """00:00 Asia/Shanghai after `now`: when WeChat's daily quotas start again."""
    local = now.astimezone(SHANGHAI)
    return datetime.combine(local.date() + timedelta(days=1), time(0), SHANGHAI)


class _Fallback(Exception):
    """The customer-service message cannot go (window closed, its quota used): try a template."""


def wechat_sender(
    api: WeChatApi,
    db: Database,
    templates: TemplateMap,
    clock: Callable[[], datetime],
    *,
    public_url: str = "",
) -> SendFn:
    # API -> when its daily quota is back (45009); one sender per database holds the lease
    exhausted: dict[str, datetime] = {}

    def quota_open(api_name: str, now: datetime) -> bool:
        until = exhausted.get(api_name)
        if until is not None and now >= until:
            del exhausted[api_name]
            return True
        return until is None

    def wait_for_quota(now: datetime) -> RetryLater:
        SENDS.labels("retry_later").inc()
        return RetryLater(max((next_quota_reset(now) - now).total_seconds(), 1.0))

    async def custom(out: Outgoing, openid: str, text: str, buttons: Buttons | None) -> None:
        numbered = render_numbered(text, buttons or [], translator(out.language))
        try:
            await api.send_text(openid, numbered)
        except WeChatError as exc:
            if exc.errcode in WINDOW_CLOSED_CODES:
                async with db.transaction() as session:
                    await close_window(session, out.account_id)
                raise _Fallback from exc
            if exc.errcode in QUOTA_CODES:
                exhausted[CUSTOM] = next_quota_reset(clock())
                raise _Fallback from exc
            if exc.errcode in TOO_LONG_CODES:
                raise _Fallback from exc
            raise _mapped(exc) from exc
        if buttons:  # only now: a screen the user never got must not take their numbers
            async with db.transaction() as session:
                await remember_choices(session, out.account_id, buttons, clock())

    async def template(out: Outgoing, openid: str, text: str, quota_held: bool) -> None:
        now = clock()
        kind, spec = templates.for_payload(out.payload)
        if spec is None:
            if quota_held:  # the window may still be open tomorrow: wait for the quota
                raise wait_for_quota(now)
            SENDS.labels("permanent").inc()
            log.warning("wechat: no template for notice kind %s (WECHAT_TEMPLATES)", kind)
            raise PermanentError(
                f"outside the customer-service window and no WECHAT_TEMPLATES entry for {kind}"
            )
        if not quota_open(TEMPLATE, now):
            raise wait_for_quota(now)
        try:
            data = template_values(spec, text, out.payload, now.astimezone(SHANGHAI).date())
        except MissingSource as exc:
            SENDS.labels("permanent").inc()
            raise PermanentError(
                f"WECHAT_TEMPLATES {kind}: the row has no value {exc.args[0]!r}"
            ) from None
        try:
            await api.send_template(openid, spec.template_id, data, template_url(spec, public_url))
        except WeChatError as exc:
            if exc.errcode in QUOTA_CODES:
                exhausted[TEMPLATE] = next_quota_reset(now)
                raise wait_for_quota(now) from exc
            raise _mapped(exc) from exc

    async def send(channel: str, external_id: str, text: str, buttons: Buttons | None) -> None:
        if channel != WECHAT:
            raise PermanentError(f"channel {channel} cannot be sent to by WeChat")
        out = OUTGOING.get()
        if out is None:  # the window and the template need the row: only the outbox calls
            raise PermanentError("the WeChat sender sends outbox rows only")
        try:
            quota_held = not quota_open(CUSTOM, clock())
            if not quota_held:
                async with db.transaction() as session:
                    slot = await take_slot(session, out.account_id, clock())
                if slot:
                    try:
                        await custom(out, external_id, text, buttons)
                        SENDS.labels("sent").inc()
                        return
                    except _Fallback:
                        quota_held = CUSTOM in exhausted
            await template(out, external_id, text, quota_held)
            SENDS.labels("sent").inc()
        except httpx.HTTPError as exc:
            SENDS.labels("transient").inc()
            not_sent = isinstance(exc, _NOT_SENT)
            raise TransientError(type(exc).__name__, maybe_delivered=not not_sent) from exc

    return send


def _mapped(exc: WeChatError) -> Exception:
    if exc.errcode in UNREACHABLE_CODES:
        SENDS.labels("unreachable").inc()
        return Unreachable(f"WeChat {exc.errcode}: {exc.errmsg}")
    if exc.errcode == -1:
        SENDS.labels("transient").inc()
        return TransientError(f"WeChat -1: {exc.errmsg}", maybe_delivered=True)
    SENDS.labels("permanent").inc()
    return PermanentError(f"WeChat {exc.errcode}: {exc.errmsg}")
