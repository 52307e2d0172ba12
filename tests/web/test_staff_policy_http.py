"""The staff console's policy pages over plain HTTP: who may see them, the edit form with its field errors, filing
and the warning while the running version is unfiled, and the hard-cap requests with their second approval."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser

import httpx
import pytest
from tests.web.server import Server
from tests.web.test_identity_http import staff_client
from tests.web.test_pages_http import form_csrf, sign_up_and_in

PAGES = ["/staff/policy", "/staff/policy/versions", "/staff/policy/caps"]
WARNING = "运行版本与备案版本不一致"


class _Form(HTMLParser):
    """The fields of one form as a browser would submit them (text inputs, checked boxes)."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id, self.inside, self.fields = form_id, False, []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        elif tag == "input" and self.inside and a.get("name"):
            if a.get("type") == "checkbox" and "checked" not in a:
                return
            self.fields.append((a["name"], a.get("value") or ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False


def form_of(html: str, form_id: str) -> list[tuple[str, str]]:
    parser = _Form(form_id)
    parser.feed(html)
    assert parser.fields, f"no form #{form_id}"
    return parser.fields


def edited(fields: list[tuple[str, str]], **changes: str) -> dict[str, list[str]]:
    """The form data with `changes` applied (`tiers__M__ceiling` names the field `tiers.M.ceiling`)."""
    names = {k.replace("__", "."): v for k, v in changes.items()}
    data: dict[str, list[str]] = {}
    for n, v in fields:
        data.setdefault(n, []).append(names.get(n, v))
    return data


@pytest.fixture
def web(web_server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=web_server.base, timeout=30, headers={"Accept-Language": "zh-CN"}) as c:
        c.server = web_server  # type: ignore[attr-defined]
        yield c


def test_policy_pages_send_strangers_to_sign_in_and_refuse_members(web: httpx.Client, web_server: Server) -> None:
    for path in PAGES:
        r = web.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), path
    sign_up_and_in(web)
    for path in PAGES:
        assert web.get(path).status_code == 403, path
    csrf = form_csrf(web.get("/me").text)
    for path, data in {"/staff/policy": {"base_version": "1"}, "/staff/policy/versions/1/filing": {"ref": "x"},
                       "/staff/policy/caps": {"value": "3000", "reason": "x"}}.items():  # fmt: skip
        assert web.post(path, data={**data, "csrf": csrf}).status_code == 403, path
    with staff_client(web_server, "reviewer") as reviewer:
        page = reviewer.get("/staff/policy")
        assert page.status_code == 200 and 'href="/staff/policy"' in reviewer.get("/staff").text
        assert 'id="policy-form"' not in page.text and "只能查看策略" in page.text
        assert 'data-table="tiers"' in page.text and 'data-table="levels"' in page.text
        assert reviewer.get("/staff/policy/versions").status_code == 200


def test_staff_edit_a_threshold_and_see_the_filing_warning_until_it_is_filed(web_server: Server) -> None:
    with staff_client(web_server, "admin") as admin:
        page = admin.get("/staff/policy").text
        version = int(re.search(r'name="base_version" value="(\d+)"', page).group(1))  # type: ignore[union-attr]
        versions = admin.get("/staff/policy/versions").text
        r = admin.post(f"/staff/policy/versions/{version}/filing",
                       data={"ref": f"京网信备-{version}", "csrf": form_csrf(versions)})  # fmt: skip
        assert r.status_code == 303
        page = admin.get("/staff/policy").text
        assert WARNING not in page and "运行版本已备案" in page

        fields = form_of(page, "policy-form")
        r = admin.post("/staff/policy", data=edited(fields, tiers__M__send_per_minute="15", note="M 级发言降速"))
        assert r.status_code == 303 and r.headers["location"] == f"/staff/policy?saved={version + 1}"
        page = admin.get(r.headers["location"]).text
        assert WARNING in page and f"v{version + 1}" in page
        assert "<td>M</td><td>100</td><td>L1</td><td>C2</td><td>0</td><td>否</td>" in page.replace("\n", "")
        history = admin.get("/staff/policy/versions").text
        assert "tiers.M.send_per_minute" in history and "M 级发言降速" in history
        assert f"/api/v1/staff/policy/export?format=html&amp;lang=zh-CN&amp;version={version + 1}" in history
        export = admin.get(f"/api/v1/staff/policy/export?format=md&version={version + 1}")
        assert export.status_code == 200 and "| M | 100 | L1 | C2 | 0 | 否 |" in export.text

        fields = form_of(page, "policy-form")
        r = admin.post("/staff/policy", data=edited(fields, tiers__L__ceiling="abc"))
        assert r.status_code == 422
        assert re.search(r'id="f-tiers\.L\.ceiling"[^>]*aria-invalid="true"', r.text), "the error shows on its field"
        stale = edited(fields, base_version=str(version), joined_max="300")
        r = admin.post("/staff/policy", data=stale)
        assert r.status_code == 409 and "已被他人修改" in r.text

        r = admin.post(f"/staff/policy/versions/{version + 1}/filing",
                       data={"ref": f"京网信备-{version + 1}", "csrf": form_csrf(history)})  # fmt: skip
        assert r.status_code == 303
        assert WARNING not in admin.get("/staff/policy").text


def test_a_raised_hard_cap_waits_for_another_staff_members_approval(web_server: Server) -> None:
    with staff_client(web_server, "admin") as admin, staff_client(web_server, "compliance_officer") as officer:
        page = admin.get("/staff/policy").text
        r = admin.post("/staff/policy", data=edited(form_of(page, "policy-form"), hard_cap="1500"))
        assert r.status_code == 303, "lowering needs no approval"
        page = admin.get("/staff/policy").text
        r = admin.post("/staff/policy", data=edited(form_of(page, "policy-form"), hard_cap="1900"))
        assert r.status_code == 403 and "另一位" in r.text
        assert re.search(r'id="f-hard_cap"[^>]*aria-invalid="true"', r.text)
        caps = admin.get("/staff/policy/caps").text
        assert "全局成员上限现为 1500" in caps
        r = admin.post("/staff/policy/caps", data={"value": "1900", "reason": "业务增长", "csrf": form_csrf(caps)})
        assert r.status_code == 303
        caps = admin.get("/staff/policy/caps").text
        request_id = re.search(r'class="cap-request" data-id="(\d+)" data-status="pending"', caps).group(1)  # type: ignore[union-attr]
        assert 'value="approve"' not in caps and "须由另一位工作人员批准" in caps, "no approve button for the requester"
        r = admin.post(
            f"/staff/policy/caps/{request_id}/decision", data={"decision": "approve", "csrf": form_csrf(caps)}
        )
        assert r.status_code == 403
        theirs = officer.get("/staff/policy/caps").text
        assert 'value="approve"' in theirs
        r = officer.post(f"/staff/policy/caps/{request_id}/decision",
                         data={"decision": "approve", "note": "同意", "csrf": form_csrf(theirs)})  # fmt: skip
        assert r.status_code == 303 and r.headers["location"] == "/staff/policy/caps?done=approve"
        assert "全局成员上限现为 1900" in officer.get(r.headers["location"]).text
        assert "<td>1900</td>" in admin.get("/staff/policy").text
