"""Rows for the report-package and supervision-figure checks, inserted as the measures, blacklist, ticket and appeal
services write them (those services have their own tests; these checks read what they leave)."""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert

from qunzu.storage.tables import (
    appeals,
    blacklist_changes,
    blacklist_entries,
    enforcement_records,
    groups,
    review_items,
    tickets,
    users,
)


class Seed:
    """Inserts rows into one container's database; every helper returns the new row's id."""

    def __init__(self, container: Any) -> None:
        self.db = container.db
        self.n = 0
        self.run = secrets.randbelow(10**6)  # keeps names unique when one database is seeded twice

    async def _insert(self, table: Any, **values: Any) -> int:
        async with self.db.uow() as uow:
            new_id = (await uow.conn.execute(insert(table).values(**values).returning(table.c.id))).scalar_one()
            await uow.commit()
        return int(new_id)

    async def user(self, nickname: str, *, at: datetime) -> int:
        self.n += 1
        return await self._insert(
            users, username=f"seed{self.run}x{self.n}", password_hash="x", nickname=nickname, created_at=at
        )

    async def group(self, owner: int, *, at: datetime, code: str | None = None) -> tuple[int, str]:
        self.n += 1
        code = code or f"88{self.run:06d}{self.n:02d}"
        gid = await self._insert(
            groups, code=code, name=f"群{self.n}", category="interest", creator_id=owner, owner_id=owner,
            member_cap=40, created_at=at,
        )  # fmt: skip
        return gid, code

    async def record(self, *, at: datetime, target_type: str, target_id: int, group_id: int | None,
                     measure: str = "group_suspend", decided_by: int | None = None, **extra: Any) -> int:  # fmt: skip
        evidence = [{"message_id": 7, "text": "违规内容示例", "sender_nickname": "小王",
                     "sha256": hashlib.sha256("违规内容示例".encode()).hexdigest()}]  # fmt: skip
        values: dict[str, Any] = {
            "target_type": target_type, "target_id": target_id, "group_id": group_id, "measure": measure,
            "reason_code": "fraud", "clause": "用户协议 6.2", "legal_basis": "《互联网群组信息服务管理规定》第十一条",
            "reason": "群内多次发布诈骗信息", "rectification": None, "evidence": evidence,
            "evidence_sha256": hashlib.sha256(json.dumps(evidence, sort_keys=True).encode()).hexdigest(),
            "source": "review", "source_ref": "review:1", "decided_by": decided_by, "starts_at": at,
            "ends_at": at + timedelta(days=1), "status": "active", "notified_at": at, "created_at": at,
        }  # fmt: skip
        values.update(extra)
        return await self._insert(enforcement_records, **values)

    async def blacklist(self, *, at: datetime, subject_key: str, label: str, actor: int | None = None,
                        change: str = "added") -> tuple[int, int]:  # fmt: skip
        entry = await self._insert(
            blacklist_entries, subject_type="account", subject_key=subject_key, label=label, severity=2,
            source="authority", authority_ref="京网信函〔2026〕12号", reason="违法违约情节严重", evidence={"records": []},
            starts_at=at, review_at=at + timedelta(days=90), created_by=actor, created_at=at,
        )  # fmt: skip
        change_id = await self._insert(
            blacklist_changes, entry_id=entry, change=change, actor_id=actor, before=None,
            after={"severity": 2, "subject_key": subject_key}, reason="依主管部门通知列入", at=at,
        )  # fmt: skip
        return entry, change_id

    async def ticket(self, *, received_at: datetime, category: str = "fraud", status: str = "received",
                     decided_at: datetime | None = None, due: timedelta = timedelta(days=3),
                     group_id: int | None = None) -> int:  # fmt: skip
        self.n += 1
        return await self._insert(
            tickets, number=f"JB{self.run:06d}{self.n:06d}", channel="app", reporter_id=None, target_type="message",
            target_id=str(self.n), target_key=f"message:{self.n}", group_id=group_id, category=category,
            description="", snapshot={"text": "x"}, snapshot_sha256="0" * 64, status=status, received_at=received_at,
            due_at=received_at + due, decided_at=decided_at, decision_reason="核实" if decided_at else None,
        )  # fmt: skip

    async def appeal(self, *, record_id: int, appellant: int, at: datetime, status: str = "pending") -> int:
        return await self._insert(
            appeals, record_id=record_id, appellant_id=appellant, statement="我已整改", status=status,
            created_at=at, due_at=at + timedelta(days=21),
        )  # fmt: skip

    async def review_item(self, *, author: int, at: datetime, state: str = "pending",
                          decided_at: datetime | None = None, categories: list[str] | None = None) -> int:  # fmt: skip
        return await self._insert(
            review_items, kind="message", target_id="1", group_id=None, author_id=author, text="待审内容",
            action="hold", categories=categories or ["fraud"], hits=[], lexicon_version="v1", state=state,
            created_at=at, decided_at=decided_at,
        )  # fmt: skip
