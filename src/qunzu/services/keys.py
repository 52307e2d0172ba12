"""Key rotation for personal data (R-6.2-1): re-encrypt every field under the newest key, without downtime.

`rotate` adds a key and makes it active in the key file; running servers pick it up the first time they meet it
and keep the old key to read what is not re-encrypted yet. `reencrypt` moves every field still under an older key
(run it again after all servers have reloaded). `retire` removes a key once nothing uses it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import Column, Table, select, update

from qunzu.storage.crypto import KeyRing
from qunzu.storage.tables import identities, manual_submissions, phone_challenges, sms_outbox, tickets
from qunzu.storage.uow import Database


@dataclass(frozen=True)
class EncryptedField:
    table: Table
    column: str
    aad_prefix: str  # the associated data is f"{aad_prefix}:{row.user_id}"
    owner: str = "user_id"


FIELDS = [
    EncryptedField(identities, "phone_ct", "identities.phone"),
    EncryptedField(identities, "name_ct", "identities.name"),
    EncryptedField(identities, "id_number_ct", "identities.id_number"),
    EncryptedField(phone_challenges, "phone_ct", "phone_challenges.phone"),
    EncryptedField(manual_submissions, "name_ct", "manual_submissions.name"),
    EncryptedField(manual_submissions, "id_number_ct", "manual_submissions.id_number"),
    EncryptedField(manual_submissions, "document_ct", "manual_submissions.document"),
    EncryptedField(sms_outbox, "phone_ct", "sms_outbox.phone"),
    EncryptedField(tickets, "reporter_contact", "tickets.contact", owner="number"),  # a form reporter's contact
]


def _pk(table: Table) -> Column:  # type: ignore[type-arg]
    return next(iter(table.primary_key.columns))


async def key_usage(db: Database, keys: KeyRing) -> Counter[str]:
    """How many encrypted fields each key id protects."""
    usage: Counter[str] = Counter()
    async with db.uow(write=False) as uow:
        for f in FIELDS:
            col = f.table.c[f.column]
            for (value,) in await uow.conn.execute(select(col).where(col.is_not(None))):
                usage[keys.key_id(value)] += 1
    return usage


async def reencrypt(db: Database, keys: KeyRing, *, batch: int = 500) -> int:
    """Re-encrypt every field not under the active key, in small transactions. Returns the number moved."""
    moved = 0
    for f in FIELDS:
        col, pk = f.table.c[f.column], _pk(f.table)
        while True:
            async with db.uow() as uow:
                rows = list(
                    await uow.conn.execute(
                        select(pk, f.table.c[f.owner], col)
                        .where(col.is_not(None), ~col.like(f"v1.{keys.active}.%"))
                        .limit(batch)
                    )
                )
                for key, owner, value in rows:
                    aad = f"{f.aad_prefix}:{owner}"
                    await uow.conn.execute(
                        update(f.table)
                        .where(pk == key)
                        .values({f.column: keys.encrypt(keys.decrypt(value, aad=aad), aad=aad)})
                    )
                await uow.commit()
            moved += len(rows)
            if len(rows) < batch:
                break
    return moved
