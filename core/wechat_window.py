"""WeChat's customer-service window (客服消息), as a pure rule.

An account may message a user by the customer-service API only for a while after the user
last reached it: within 48 hours of a message, at most 5 messages; within 60 seconds of a
menu click, at most 3. Each new message or click starts a new window and resets the count
(services.wechat_window keeps, per account, only the last inbound and the count since it, so
a click after a message replaces the message's window: the stricter reading, never one
message more than WeChat allows). Outside it, only template messages reach the user.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal

InboundKind = Literal["message", "click"]


@dataclass(frozen=True, slots=True)
class WindowRule:
    length: timedelta  # how long after the inbound
    limit: int  # how many messages in that time


RULES: Final[dict[str, WindowRule]] = {
    "message": WindowRule(timedelta(hours=48), 5),
    "click": WindowRule(timedelta(seconds=60), 3),
}


def may_send(kind: str, last_inbound_at: datetime, sent_since: int, now: datetime) -> bool:
    """True when one more customer-service message fits the window opened at
    `last_inbound_at` by an inbound of `kind`, `sent_since` messages having gone since."""
    rule = RULES.get(kind)
    if rule is None:
        return False
    # a clock a little behind the inbound's (another worker's) counts as inside the window
    return now - last_inbound_at < rule.length and sent_since < rule.limit
