"""Moving every stored ID number to a new secret key: re-encrypt (Fernet) and re-hash (HMAC
lookup) in batches, one transaction per batch, so a stop half way is resumed by running it
again (a row already under the new key is recognised and skipped).

Run it with the new key in CEBOT_SECRET_KEY and the old one in CEBOT_PREVIOUS_SECRET_KEYS,
while the bot is stopped (a lookup by ID number uses the new hash only); see docs/deploy.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from services.audit import audit
from services.binding_review import protect_phone
from services.context import AppContext
from storage.models import Person

BATCH = 1000


@dataclass(frozen=True)
class RotationResult:
    people: int
    changed: int


async def rotate_keys(ctx: AppContext, *, batch: int = BATCH) -> RotationResult:
    seen = changed = 0
    last_id = 0
    while True:
        async with ctx.db.transaction() as session:
            people = list(
                await session.scalars(
                    select(Person).where(Person.id > last_id).order_by(Person.id).limit(batch)
                )
            )
            if not people:
                break
            for person in people:
                number = ctx.ids.decrypt(person.id_cipher)  # any known key
                new_hash = ctx.ids.lookup_hash(number)
                if new_hash != person.id_hash or not ctx.ids.is_current(person.id_cipher):
                    person.id_hash = new_hash
                    person.id_cipher = ctx.ids.encrypt(number)
                    changed += 1
                if person.phone_cipher is not None:
                    # the roster's phone (binding's second factor) is re-hashed the same way
                    phone = ctx.ids.decrypt(person.phone_cipher)
                    person.phone_hash, person.phone_cipher = protect_phone(ctx, phone)
            seen += len(people)
            last_id = people[-1].id
    async with ctx.db.transaction() as session:
        audit(
            session,
            at=ctx.now(),
            actor="cli",
            action="keys.rotated",
            entity="people",
            entity_id=None,
            data={"people": seen, "changed": changed},
        )
    return RotationResult(seen, changed)
