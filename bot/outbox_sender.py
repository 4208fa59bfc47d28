"""The outbox sender's `send` callable for Telegram: maps PTB's errors onto the sender's.

- RetryAfter (429)        -> RetryLater(retry_after): nothing was sent.
- Forbidden (403)         -> Unreachable: the user blocked the bot.
- BadRequest "chat not found" -> Unreachable (the user never started the bot or deleted it);
  any other BadRequest    -> PermanentError: the same message would fail again.
- TimedOut / NetworkError -> TransientError; `maybe_delivered` unless the request certainly
  never reached Telegram (connect failure or pool timeout), so the sender retries only those.

Give the Bot no AIORateLimiter: the sender paces itself (services/outbox.py explains why).
"""

from __future__ import annotations

import warnings

import httpx
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from services.metrics import SENDS
from services.outbox import (
    Buttons,
    PermanentError,
    RetryLater,
    SendFn,
    TransientError,
    Unreachable,
)

TELEGRAM = "telegram"
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def _certainly_not_sent(exc: BaseException) -> bool:
    cause = exc.__cause__
    return isinstance(cause, _NOT_SENT) or "was *not* sent" in str(exc)


def telegram_sender(bot: Bot) -> SendFn:
    async def send(channel: str, external_id: str, text: str, buttons: Buttons | None) -> None:
        if channel != TELEGRAM:
            raise PermanentError(f"channel {channel} cannot be sent to by Telegram")
        markup = None
        if buttons:
            markup = InlineKeyboardMarkup(
                [[InlineKeyboardButton(label, callback_data=data)] for label, data in buttons]
            )
        try:
            await bot.send_message(chat_id=int(external_id), text=text, reply_markup=markup)
            SENDS.labels("sent").inc()
        except RetryAfter as exc:
            SENDS.labels("retry_later").inc()
            with warnings.catch_warnings():  # PTB 22.2+ warns that this becomes a timedelta
                warnings.simplefilter("ignore")
                retry = exc.retry_after
            seconds = retry.total_seconds() if hasattr(retry, "total_seconds") else float(retry)
            raise RetryLater(seconds) from exc
        except Forbidden as exc:
            SENDS.labels("unreachable").inc()
            raise Unreachable(exc.message) from exc
        except BadRequest as exc:
            if "chat not found" in exc.message.lower():
                SENDS.labels("unreachable").inc()
                raise Unreachable(exc.message) from exc
            SENDS.labels("permanent").inc()
            raise PermanentError(exc.message) from exc
        except TimedOut as exc:  # subclass of NetworkError: checked first
            SENDS.labels("transient").inc()
            raise TransientError(exc.message, maybe_delivered=not _certainly_not_sent(exc)) from exc
        except NetworkError as exc:
            SENDS.labels("transient").inc()
            raise TransientError(exc.message, maybe_delivered=not _certainly_not_sent(exc)) from exc

    return send
