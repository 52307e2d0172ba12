"""Art. 12 ¶1: the CAC supervises how reports are handled (R-12.1-3). The inspector view's figures for a test month
must reproduce the ticket list: counts, the share decided within the time limit, the median and the P95."""

from __future__ import annotations

import csv
import io
import math
import statistics
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tests.compliance._creation import staff
from tests.compliance._reports import Seed

pytestmark = pytest.mark.usefixtures("manual_clock")  # 2026-03-01 09:00 UTC
H = timedelta(hours=1)


async def february(container: Any) -> None:
    """Tickets received in February 2026 (Beijing), one on each side of the month's edges, decided at various
    speeds, some late, some open."""
    s = Seed(container)
    start = datetime(2026, 1, 31, 16, 0, tzinfo=UTC)  # 1 February 00:00 Beijing
    plan = [  # (received after start, category, status, decided after receipt, deadline after receipt)
        (timedelta(0), "fraud", "upheld", 0.5 * H, H),
        (2 * H, "fraud", "upheld", 3 * H, H),  # late
        (3 * H, "fraud", "rejected", 0.25 * H, H),
        (30 * H, "fraud", "in_review", None, H),  # open and overdue
        (40 * H, "cyber_violence", "rejected", 50 * H, 72 * H),
        (41 * H, "cyber_violence", "upheld", 20 * H, 72 * H),
        (42 * H, "cyber_violence", "upheld", 80 * H, 72 * H),  # late
        (27 * 24 * H, "privacy", "received", None, 72 * H),  # 28 February, not yet due
    ]
    for after, category, status, decided, due in plan:
        at = start + after
        await s.ticket(received_at=at, category=category, status=status, due=due,
                       decided_at=None if decided is None else at + decided)  # fmt: skip
    await s.ticket(received_at=start - timedelta(milliseconds=1), category="fraud", status="upheld",
                   decided_at=start + H)  # 31 January 23:59:59.999 Beijing  # fmt: skip
    await s.ticket(received_at=datetime(2026, 2, 28, 16, 0, tzinfo=UTC), category="fraud")  # 1 March Beijing


def expected(rows: list[dict[str, str]]) -> dict[str, Any]:
    """The figures recomputed from the ticket list (as an inspector would in a spreadsheet)."""
    decided = [r for r in rows if r["decided_at"]]
    seconds = sorted(
        (datetime.fromisoformat(r["decided_at"]) - datetime.fromisoformat(r["received_at"])).total_seconds()
        for r in decided
    )
    within = sum(1 for r in decided if r["within_sla"] == "true")
    return {
        "received": len(rows), "handled": len(decided), "within_sla": within,
        "within_sla_share": round(within / len(decided), 4), "median_seconds": statistics.median(seconds),
        "p95_seconds": seconds[math.ceil(0.95 * len(seconds)) - 1],
        "upheld": sum(r["status"] == "upheld" for r in rows), "rejected": sum(r["status"] == "rejected" for r in rows),
        "open": sum(r["status"] in ("received", "in_review") for r in rows),
    }  # fmt: skip


async def test_r_12_1_3_the_figures_of_a_test_month_match_the_ticket_list(api: Any, container: Any) -> None:
    await february(container)
    officer = await staff(api, container, "compliance_officer")
    r = await api.client.post(
        "/api/v1/staff/reports", headers=api.h(officer),
        json={"period_from": "2026-02-01", "period_to": "2026-03-01", "authority": "网信办（监督检查）"},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    package = await api.client.get(r.json()["download"], headers=api.h(officer))
    with zipfile.ZipFile(io.BytesIO(package.content)) as zf:
        tickets = list(csv.DictReader(io.StringIO(zf.read("tickets.csv").decode("utf-8-sig"))))
        in_package = list(csv.DictReader(io.StringIO(zf.read("complaint_statistics.csv").decode("utf-8-sig"))))
    assert len(tickets) == 8, "the list holds exactly the tickets received in February, Beijing time"

    inspector = await staff(api, container, "regulator")
    r = await api.client.get("/api/v1/staff/complaints/figures?month=2026-02", headers=api.h(inspector))
    assert r.status_code == 200, r.text
    figures = {(f["month"], f["category"]): f for f in r.json()["rows"]}
    assert set(figures) == {("2026-02", "fraud"), ("2026-02", "cyber_violence"), ("2026-02", "privacy"),
                            ("2026-02", "*"), ("*", "*")}  # fmt: skip
    for category in ("fraud", "cyber_violence"):
        got = figures["2026-02", category]
        want = expected([t for t in tickets if t["category"] == category])
        assert {k: got[k] for k in want} == want, category
    month = figures["2026-02", "*"]
    want = expected(tickets)
    assert {k: month[k] for k in want} == want
    assert (month["received"], month["handled"], month["within_sla"]) == (8, 6, 4)
    assert month["median_seconds"] == (3 + 20) / 2 * 3600 and month["p95_seconds"] == 80 * 3600
    assert month["overdue_open"] == 1 and figures["2026-02", "fraud"]["overdue_open"] == 1
    assert figures["2026-02", "privacy"]["within_sla_share"] is None, "nothing handled: no share, not 0 %"
    # the package's statistics are the same figures
    row = next(f for f in in_package if f["month"] == "2026-02" and f["category"] == "*")
    assert (int(row["received"]), int(row["handled"]), float(row["p95_seconds"])) == (8, 6, 80 * 3600)


async def test_r_12_1_3_figures_are_for_staff_who_supervise_complaints(api: Any, container: Any) -> None:
    member = await api.user()
    r = await api.client.get("/api/v1/staff/complaints/figures?month=2026-02", headers=api.h(member))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    reviewer = await staff(api, container, "reviewer")
    r = await api.client.get("/api/v1/staff/complaints/figures?month=2026-02&months=3", headers=api.h(reviewer))
    assert r.status_code == 200 and r.json()["rows"] == [
        {"month": "*", "category": "*", "received": 0, "handled": 0, "within_sla": 0, "within_sla_share": None,
         "overdue_open": 0, "median_seconds": None, "p95_seconds": None, "upheld": 0, "rejected": 0, "open": 0}]  # fmt: skip
    assert r.json()["period_from"].startswith("2025-11-30T16:00")
    r = await api.client.get("/api/v1/staff/complaints/figures?month=2026-00", headers=api.h(reviewer))
    assert r.status_code == 422 and r.json()["error"]["code"] == "package_period_invalid"
