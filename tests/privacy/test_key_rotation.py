"""Key rotation: every ID number moves to the new key, lookups and old links keep working."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from core.idnumber import make_id_number, mask_id_number
from services.context import AppContext
from services.key_rotation import rotate_keys
from services.pii import IdProtector
from storage.models import Person

OLD, NEW = b"o" * 40, b"n" * 40


async def test_rotation_moves_every_person_and_is_idempotent(ctx: AppContext) -> None:
    ctx.ids = IdProtector(OLD)
    numbers = [make_id_number("450103", date(1980, 1, 1), n) for n in range(1, 6)]
    now = ctx.now()
    async with ctx.db.transaction() as s:
        for number in numbers:
            s.add(
                Person(
                    id_hash=ctx.ids.lookup_hash(number),
                    id_cipher=ctx.ids.encrypt(number),
                    id_masked=mask_id_number(number),
                    name="某人",
                    created_at=now,
                    updated_at=now,
                )
            )
    old_token = ctx.ids.token("certificate", "GX2024")
    ctx.ids = IdProtector(NEW, (OLD,))
    result = await rotate_keys(ctx, batch=2)
    assert (result.people, result.changed) == (5, 5)
    assert (await rotate_keys(ctx)).changed == 0  # already under the new key
    fresh = IdProtector(NEW)  # the old key removed afterwards
    async with ctx.db.transaction() as s:
        people = list(await s.scalars(select(Person).order_by(Person.id)))
    assert [fresh.decrypt(p.id_cipher) for p in people] == numbers
    assert [p.id_hash for p in people] == [fresh.lookup_hash(n) for n in numbers]
    # a link signed under the old key still verifies during the rotation window
    assert old_token in ctx.ids.tokens("certificate", "GX2024")
    assert old_token not in fresh.tokens("certificate", "GX2024")


async def test_a_certificate_link_signed_before_the_rotation_still_verifies(
    ctx: AppContext,
) -> None:
    from services.certificates import signature, signature_ok

    ctx.ids = IdProtector(OLD)
    old_signature = signature(ctx, "GX2024-GX-000001")
    ctx.ids = IdProtector(NEW, (OLD,))
    assert signature_ok(ctx, "GX2024-GX-000001", old_signature)
    assert signature_ok(ctx, "GX2024-GX-000001", signature(ctx, "GX2024-GX-000001"))
    ctx.ids = IdProtector(NEW)  # the old key dropped: old links are no longer genuine
    assert not signature_ok(ctx, "GX2024-GX-000001", old_signature)


async def test_rotation_re_hashes_the_roster_phone(ctx: AppContext) -> None:
    from services.binding_review import phone_matches, protect_phone

    ctx.ids = IdProtector(OLD)
    number = make_id_number("450103", date(1980, 1, 1), 7)
    phone_hash, phone_cipher = protect_phone(ctx, "13800138000")
    now = ctx.now()
    async with ctx.db.transaction() as s:
        s.add(
            Person(
                id_hash=ctx.ids.lookup_hash(number),
                id_cipher=ctx.ids.encrypt(number),
                id_masked=mask_id_number(number),
                name="某人",
                phone_hash=phone_hash,
                phone_cipher=phone_cipher,
                created_at=now,
                updated_at=now,
            )
        )
    ctx.ids = IdProtector(NEW, (OLD,))
    await rotate_keys(ctx)
    ctx.ids = IdProtector(NEW)  # the old key removed afterwards: the phone still matches
    async with ctx.db.transaction() as s:
        person = await s.scalar(select(Person))
    assert person is not None and person.phone_hash != phone_hash
    assert phone_matches(ctx, person, "+86 138 0013 8000")
    assert not phone_matches(ctx, person, "13900139000")
