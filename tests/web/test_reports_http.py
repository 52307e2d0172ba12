"""The staff console's report packages and supervision figures over plain HTTP (Art. 11 ¶3, Art. 12 ¶1): who may
see them, building a package from the form, the register, the download, and the figures in zh-CN and English."""

from __future__ import annotations

import asyncio
import io
import re
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from tests.compliance._reports import Seed
from tests.web.server import Server
from tests.web.test_identity_http import staff_client
from tests.web.test_pages_http import form_csrf, sign_up_and_in

from qunzu.domain.complaint_figures import beijing_month, months_period
from qunzu.domain.reports import beijing_day, verify_manifest

PAGES = ["/staff/reports", "/staff/reports/figures"]


def this_month() -> tuple[str, str, str]:
    """This Beijing month as "YYYY-MM", its first day, and the first day of the next."""
    month = beijing_month(datetime.now(UTC))
    lo, hi = months_period(month)
    return month, beijing_day(lo), beijing_day(hi)


def seed(server: Server) -> dict[str, int]:
    """A group measure and three tickets made a few minutes ago, written into the server's database."""
    from tests.conftest import make_settings

    from qunzu.bootstrap import build_container

    data_dir = server.log_path.parent
    at = datetime.now(UTC) - timedelta(minutes=5)

    async def run() -> dict[str, int]:
        c = build_container(make_settings(f"sqlite+aiosqlite:///{data_dir / 'qunzu.db'}", data_dir))
        try:
            s = Seed(c)
            owner = await s.user("群主丙", at=at - timedelta(days=3))
            gid, _ = await s.group(owner, at=at - timedelta(days=2))
            record = await s.record(at=at, target_type="group", target_id=gid, group_id=gid)
            for status, after in (
                ("upheld", timedelta(hours=1)),
                ("rejected", timedelta(minutes=30)),
                ("received", None),
            ):
                await s.ticket(received_at=at - timedelta(hours=2), category="fraud", status=status,
                               decided_at=None if after is None else at - timedelta(hours=2) + after)  # fmt: skip
            return {"record": record}
        finally:
            await c.db.dispose()

    return asyncio.run(run())


@pytest.fixture
def web(web_server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=web_server.base, timeout=30, headers={"Accept-Language": "zh-CN"}) as c:
        c.server = web_server  # type: ignore[attr-defined]
        yield c


def test_report_pages_refuse_strangers_members_and_the_wrong_roles(web: httpx.Client, web_server: Server) -> None:
    for path in PAGES:
        r = web.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), path
    sign_up_and_in(web)
    for path in [*PAGES, "/staff/reports/1/download"]:
        assert web.get(path).status_code == 403, path
    csrf = form_csrf(web.get("/me").text)
    assert web.post("/staff/reports", data={"from": "2026-11-01", "to": "2026-12-01", "authority": "x",
                                            "csrf": csrf}).status_code == 403  # fmt: skip
    with staff_client(web_server, "reviewer") as reviewer:
        assert reviewer.get("/staff/reports").status_code == 403
        home = reviewer.get("/staff").text
        assert 'href="/staff/reports/figures"' in home and 'href="/staff/reports"' not in home
        assert reviewer.get("/staff/reports/figures").status_code == 200


def test_an_officer_builds_a_package_and_the_regulator_downloads_it(web_server: Server) -> None:
    ids = seed(web_server)
    _, first, next_first = this_month()
    with staff_client(web_server, "compliance_officer") as officer:
        page = officer.get("/staff/reports")
        assert page.status_code == 200 and 'id="package-form"' in page.text and "向主管部门报告" in page.text
        assert re.search(r"尚未报送：处置记录 [1-9]\d* 条", page.text)
        r = officer.post("/staff/reports", data={"from": next_first, "to": first, "authority": "北京市互联网信息办公室",
                                                 "csrf": form_csrf(page.text)})  # fmt: skip
        assert r.status_code == 422 and re.search(r'id="f-to"[^>]*aria-invalid="true"', r.text)
        assert "结束日期须晚于起始日期" in r.text and f'value="{next_first}"' in r.text, "the form keeps what was typed"
        r = officer.post("/staff/reports", data={"from": first, "to": next_first, "authority": "北京市互联网信息办公室",
                                                 "document_number": "京网信函〔2026〕9号", "csrf": form_csrf(page.text)})  # fmt: skip
        assert r.status_code == 303, r.text
        register_id = int(re.search(r"created=(\d+)", r.headers["location"]).group(1))  # type: ignore[union-attr]
        page = officer.get(r.headers["location"]).text
        row = re.search(rf'<tr id="package-{register_id}".*?</tr>', page, re.S).group(0)  # type: ignore[union-attr]
        assert "北京市互联网信息办公室" in row and "京网信函〔2026〕9号" in row and f"{first} 至 {next_first}" in row
        assert re.search(r'data-section="enforcement_records">[1-9]', row) and "已生成报告包" in page
        download = officer.get(f"/staff/reports/{register_id}/download")
        assert download.status_code == 200 and download.headers["content-type"] == "application/zip"
    with staff_client(web_server, "regulator") as regulator:
        page = regulator.get("/staff/reports").text
        assert 'id="package-form"' not in page and f'id="package-{register_id}"' in page and "不能生成报告包" in page
        got = regulator.get(f"/staff/reports/{register_id}/download")
        assert got.status_code == 200 and got.content == download.content
        assert (
            regulator.post("/staff/reports", data={"from": first, "to": next_first, "authority": "x"}).status_code
            == 403
        )
        assert regulator.get("/staff/reports/99999/download").status_code == 404
        assert regulator.get("/staff/reports/abc/download").status_code == 404
        english = regulator.get("/staff/reports", headers={"Accept-Language": "en"}).text
        assert "Reports to the authorities" in english and "Disclosure register" in english
    with zipfile.ZipFile(io.BytesIO(download.content)) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    meta = [files.pop(n) for n in ("manifest.json", "manifest.sig", "public_key.pem")]
    assert verify_manifest(files, *meta) == []
    assert f'"id":{ids["record"]},' in files["enforcement_records.jsonl"].decode()


def test_the_figures_table_by_category_and_month(web_server: Server) -> None:
    seed(web_server)
    month, _, _ = this_month()
    with staff_client(web_server, "reviewer") as reviewer:
        page = reviewer.get(f"/staff/reports/figures?month={month}&months=1")
        assert page.status_code == 200 and "投诉举报处理情况统计" in page.text and "最近秩法" in page.text
        row = re.search(rf'<tr data-month="{month}" data-category="fraud">.*?</tr>', page.text, re.S)
        assert row, page.text
        cells = dict(re.findall(r'data-col="(\w+)"[^>]*>(.*?)</td>', row.group(0), re.S))
        assert re.search(r">(\d+)</a>", cells["received"]) and cells["within_sla"].strip().isdigit()
        link = f"/staff/reports/figures/tickets?month={month}&amp;months=1&amp;category=fraud"
        assert f'href="{link}"' in row.group(0) and f'href="{link}&amp;handled=1"' in row.group(0)
        received = int(re.search(r">(\d+)</a>", cells["received"]).group(1))  # type: ignore[union-attr]
        handled = int(re.search(r">(\d+)</a>", cells["handled"]).group(1))  # type: ignore[union-attr]
        listed = reviewer.get(link.replace("&amp;", "&"))
        assert listed.status_code == 200 and "举报工单清单" in listed.text
        assert len(re.findall(r'<tr data-number="', listed.text)) == received, "the count is the list's length"
        done = reviewer.get(link.replace("&amp;", "&") + "&handled=1").text
        assert len(re.findall(r'<tr data-number="[^"]+" data-status="(?:upheld|rejected)"', done)) == handled
        assert 'data-status="received"' not in done and 'href="/staff/tickets/' in done, "reviewers open a ticket"
        assert "诈骗" in row.group(0), "the category's name, not its code"
        english = reviewer.get(f"/staff/reports/figures?month={month}", headers={"Accept-Language": "en"}).text
        assert "Complaint handling figures" in english and "nearest-rank" in english
        bad = reviewer.get("/staff/reports/figures?month=2026-13")
        assert bad.status_code == 422 and 'id="form-error"' in bad.text
    with staff_client(web_server, "regulator") as regulator:
        listed = regulator.get(f"/staff/reports/figures/tickets?month={month}&months=1&category=fraud")
        assert listed.status_code == 200 and 'href="/staff/tickets/' not in listed.text, "the desk is not theirs"
        english = regulator.get(f"/staff/reports/figures/tickets?month={month}", headers={"Accept-Language": "en"})
        assert "Ticket list" in english.text and "upheld" in english.text
