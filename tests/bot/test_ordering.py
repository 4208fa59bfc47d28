"""Per-user ordering: one user's updates run one after another, in order; different users'
updates overlap."""

from __future__ import annotations

import asyncio

from telegram import Chat, Message, Update, User

from bot.handlers.ordering import PerUserUpdateProcessor


def _update(update_id: int, user_id: int) -> Update:
    user = User(user_id, "u", False)
    chat = Chat(user_id, "private")
    return Update(update_id, message=Message(update_id, None, chat, from_user=user, text="x"))  # type: ignore[arg-type]


async def test_same_user_in_order_other_users_concurrently() -> None:
    processor = PerUserUpdateProcessor(16)
    log: list[tuple[str, int, int]] = []
    running: set[int] = set()
    overlap_other_users = False

    async def work(update_id: int, user_id: int, delay: float) -> None:
        nonlocal overlap_other_users
        assert user_id not in running, "two updates of one user at once"
        overlap_other_users |= bool(running)
        running.add(user_id)
        log.append(("start", user_id, update_id))
        await asyncio.sleep(delay)
        log.append(("end", user_id, update_id))
        running.discard(user_id)

    jobs = [(1, 10, 0.05), (2, 10, 0.0), (3, 20, 0.02), (4, 10, 0.0), (5, 20, 0.0)]
    async with processor:
        await asyncio.gather(
            *(
                processor.process_update(_update(uid, user), work(uid, user, delay))
                for uid, user, delay in jobs
            )
        )
    starts = [(user, uid) for kind, user, uid in log if kind == "start"]
    assert [uid for user, uid in starts if user == 10] == [1, 2, 4]
    assert [uid for user, uid in starts if user == 20] == [3, 5]
    assert overlap_other_users
    assert not processor._locks and not processor._in_flight  # idle users forgotten
