"""The posting rules of a batch, without a database: `plan` decides from the rows a store read, `finish` answers
each post from what the store reports it stored (services/posting/plan.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from qunzu.domain.identity import Level
from qunzu.domain.roles import GroupRole
from qunzu.errors import QunzuError
from qunzu.services.events import MessagePosted
from qunzu.services.posting.plan import Outcome, Plan, Post, finish, lookup, plan
from qunzu.services.review import Verdict
from qunzu.storage.post_rows import BatchRows, EarlierPost, GroupMove, GroupRow, MemberRow, Stored

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
OPEN, OTHER, CLOSED = "1000000000", "1000000010", "1000000020"
ANN, BOB, EVE = 1, 2, 3
AGREEMENT = 3
HOLD = Verdict(action="hold", categories=["fraud"], terms=["QZ-TEST-HOLD"], lexicon_version="7")
FLAG = Verdict(action="flag", categories=["advertising"], terms=["QZ-TEST-FLAG"], lexicon_version="7")


def post(actor: int = ANN, text: str = "hello", cid: str = "c1", code: str = OPEN, verdict: Any = None) -> Post:
    return Post(actor, code, text, cid, NOW, "203.0.113.7", 5000, verdict, None)


def member(
    group_id: int, user_id: int, *, role: str = "member", level: int = Level.L1, accepted: int = AGREEMENT
) -> MemberRow:
    return MemberRow(group_id, user_id, role, f"nick{user_id}", level, accepted)


def rows(*extra: MemberRow, earlier: Sequence[EarlierPost] = ()) -> BatchRows:
    """Three groups: OPEN (id 10, 5 messages so far), OTHER (id 11, empty), CLOSED (id 12); Ann is the owner of
    OPEN, Bob a member of OPEN and OTHER, and everyone a member of CLOSED."""
    groups = [GroupRow(10, OPEN, "active", 5), GroupRow(11, OTHER, "active", 0), GroupRow(12, CLOSED, "closed", 9)]
    members = [
        member(10, ANN, role="creator"),
        member(10, BOB),
        member(11, BOB),
        *(member(12, u) for u in (ANN, BOB)),
        *extra,
    ]
    return BatchRows(groups, members, AGREEMENT, list(earlier))


def stored_as_planned(p: Plan) -> list[Stored]:
    """What a store reports when it stores every planned message with its planned number (ids from 100)."""
    return [(100 + n, m.seq) for n, m in enumerate(p.messages)]


def run(posts: list[Post], read: BatchRows | None = None) -> tuple[Plan, list[Outcome], list[MessagePosted]]:
    p = plan(posts, read or rows())
    outcomes, events = finish(p, posts, stored_as_planned(p))
    return p, outcomes, events


def code_of(outcome: Outcome) -> str:
    assert isinstance(outcome, QunzuError), outcome
    return str(outcome.code)


def test_a_post_is_numbered_after_the_groups_last_seq_published_and_announced() -> None:
    p, [outcome], [event] = run([post(text="你好")])
    [msg] = p.messages
    assert (msg.group_id, msg.seq, msg.k, msg.review_state, msg.review) == (10, 6, 1, "clean", None)
    assert (msg.sender_nickname, msg.created_at, msg.src_ip, msg.src_port) == ("nick1", NOW, "203.0.113.7", 5000)
    assert p.moves == [GroupMove(10, 1, 6)]
    assert not isinstance(outcome, QunzuError)
    view, created = outcome
    assert created and (view.id, view.seq, view.text, view.status) == (100, 6, "你好", "published")
    assert (view.sender_role, view.group_code, view.created_at) == (GroupRole.CREATOR, OPEN, NOW)
    assert (event.group_id, event.seq, event.message["text"], event.message["id"]) == (10, 6, "你好", 100)


def test_a_group_that_does_not_exist() -> None:
    p, [outcome], events = run([post(code="1999999990")])
    assert code_of(outcome) == "group_not_found"
    assert p.messages == [] and p.moves == [] and events == []


def test_not_a_member_of_this_group_even_if_of_another() -> None:
    p, [outcome], events = run([post(actor=EVE, code=OPEN)], rows(member(11, EVE)))
    assert code_of(outcome) == "not_member"
    assert p.messages == [] and events == []


def test_a_closed_group_accepts_nothing() -> None:
    p, [outcome], _ = run([post(code=CLOSED)])
    assert code_of(outcome) == "group_closed"
    assert p.messages == []


def test_r_6_1_4_an_unverified_member_cannot_post() -> None:
    p, [outcome], _ = run([post(actor=EVE)], rows(member(10, EVE, level=Level.NONE)))
    assert code_of(outcome) == "identity_unverified"
    assert p.messages == []


def test_r_5_2_2_a_member_who_has_not_accepted_the_current_agreement_cannot_post() -> None:
    p, [outcome], _ = run([post(actor=EVE)], rows(member(10, EVE, accepted=AGREEMENT - 1)))
    assert code_of(outcome) == "agreement_required"
    assert outcome.details == {"kind": "agreement", "version": AGREEMENT}
    assert p.messages == []


def test_no_agreement_published_needs_none_accepted() -> None:
    read = rows(member(10, EVE, accepted=0))
    _, [outcome], _ = run([post(actor=EVE)], BatchRows(read.groups, read.members, 0, []))
    assert not isinstance(outcome, QunzuError)


def test_the_first_rule_broken_gives_the_code() -> None:
    """Closed group, unverified and an old agreement at once: the group is checked first, then identity."""
    _, [closed], _ = run([post(actor=EVE, code=CLOSED)], rows(member(12, EVE, level=Level.NONE, accepted=0)))
    _, [unverified], _ = run([post(actor=EVE)], rows(member(10, EVE, level=Level.NONE, accepted=0)))
    assert (code_of(closed), code_of(unverified)) == ("group_closed", "identity_unverified")


def earlier_post(text: str = "hello", *, seq: int | None = 4, review_state: str = "clean") -> EarlierPost:
    return EarlierPost(77, 10, seq, ANN, "old nick", text, "c1", NOW, None, review_state)


def test_a_retry_of_a_stored_post_gets_the_earlier_message_and_stores_nothing() -> None:
    p, [outcome], events = run([post()], rows(earlier=[earlier_post()]))
    assert p.messages == [] and p.moves == [] and events == []
    assert not isinstance(outcome, QunzuError)
    view, created = outcome
    assert not created and (view.id, view.seq, view.sender_nickname, view.text) == (77, 4, "old nick", "hello")


def test_a_retry_of_a_post_still_held_answers_under_review() -> None:
    _, [outcome], _ = run([post()], rows(earlier=[earlier_post(seq=None, review_state="held")]))
    assert not isinstance(outcome, QunzuError) and outcome[0].status == "under_review" and not outcome[1]


def test_a_client_msg_id_reused_for_another_text_conflicts() -> None:
    _, [outcome], _ = run([post(text="something else")], rows(earlier=[earlier_post()]))
    assert code_of(outcome) == "client_msg_id_conflict"
    assert outcome.details == {"seq": 4}


def test_the_same_client_msg_id_twice_in_one_batch_stores_one_message() -> None:
    p, [first, again, other_text], events = run([post(), post(), post(text="changed")])
    assert len(p.messages) == 1 and len(events) == 1 and p.moves == [GroupMove(10, 1, 6)]
    assert not isinstance(first, QunzuError) and not isinstance(again, QunzuError)
    assert first == (first[0], True) and again == (first[0], False)
    assert code_of(other_text) == "client_msg_id_conflict"


def test_the_same_client_msg_id_in_another_group_or_from_another_sender_is_another_message() -> None:
    p, outcomes, _ = run([post(actor=BOB), post(actor=BOB, code=OTHER), post(actor=ANN)])
    assert len(p.messages) == 3 and all(o[1] for o in outcomes)


def test_each_post_of_a_mixed_batch_gets_its_own_outcome_and_numbers_stay_gapless() -> None:
    posts = [
        post(actor=ANN, cid="a1"),
        post(actor=EVE, cid="e1"),  # not a member
        post(actor=BOB, cid="b1", code=OTHER),
        post(actor=ANN, cid="a2", code=CLOSED),
        post(actor=BOB, cid="b2"),
        post(actor=ANN, cid="a1"),  # a retry of the first
        post(actor=BOB, cid="b3", code=OTHER),
    ]
    p, outcomes, events = run(posts)
    codes = [code_of(o) if isinstance(o, QunzuError) else (o[0].group_code, o[0].seq, o[1]) for o in outcomes]
    assert codes == [
        (OPEN, 6, True),
        "not_member",
        (OTHER, 1, True),
        "group_closed",
        (OPEN, 7, True),
        (OPEN, 6, False),
        (OTHER, 2, True),
    ]
    assert p.moves == [GroupMove(10, 2, 7), GroupMove(11, 2, 2)]
    assert [(m.group_id, m.k) for m in p.messages] == [(10, 1), (11, 1), (10, 2), (11, 2)]
    assert [(e.group_code, e.seq) for e in events] == [(OPEN, 6), (OTHER, 1), (OPEN, 7), (OTHER, 2)]


def test_a_held_post_takes_no_number_is_queued_for_review_and_reaches_only_its_author() -> None:
    p, [held, clean], events = run([post(cid="h", verdict=HOLD), post(cid="c")])
    assert not isinstance(clean, QunzuError) and clean[0].seq == 6
    h, c = p.messages
    assert (h.seq, h.k, h.review_state) == (None, None, "held") and (c.seq, c.k) == (6, 1)
    assert h.review is not None and c.review is None
    assert {k: h.review[k] for k in ("kind", "action", "author_id", "group_id", "hits", "state", "text")} == {
        "kind": "message",
        "action": "hold",
        "author_id": ANN,
        "group_id": 10,
        "hits": ["QZ-TEST-HOLD"],
        "state": "pending",
        "text": "hello",
    }
    assert p.moves == [GroupMove(10, 1, 6)]
    assert not isinstance(held, QunzuError) and (held[0].seq, held[0].status, held[1]) == (None, "under_review", True)
    assert [e.seq for e in events] == [6], "the held message is announced to no one"


def test_a_flagged_post_is_published_and_queued_for_review() -> None:
    p, [outcome], [event] = run([post(verdict=FLAG)])
    [msg] = p.messages
    assert (msg.seq, msg.review_state) == (6, "flagged")
    assert msg.review is not None and (msg.review["action"], msg.review["categories"]) == ("flag", ["advertising"])
    assert not isinstance(outcome, QunzuError) and outcome[0].status == "published" and event.seq == 6


def test_a_group_closed_after_the_read_fails_its_posts_and_their_retries() -> None:
    posts = [post(cid="x"), post(actor=BOB, cid="y", code=OTHER), post(cid="x")]
    p = plan(posts, rows())
    _, second = stored_as_planned(p)
    outcomes, events = finish(p, posts, [None, second])  # the store did not store OPEN's message
    assert [code_of(outcomes[0]), code_of(outcomes[2])] == ["group_closed", "group_closed"]
    assert not isinstance(outcomes[1], QunzuError) and [e.group_code for e in events] == [OTHER]


def test_the_store_numbers_the_messages() -> None:
    """On PostgreSQL the database numbers published messages (from `k`): the outcome carries the stored number."""
    posts = [post()]
    p = plan(posts, rows())
    [outcome], [event] = finish(p, posts, [(500, 42)])
    assert not isinstance(outcome, QunzuError) and (outcome[0].id, outcome[0].seq, event.seq) == (500, 42, 42)


def test_the_lookup_reads_each_group_sender_and_key_once() -> None:
    found = lookup([post(actor=BOB, cid="b"), post(code=OTHER), post(actor=BOB, cid="b"), post()])
    assert found.codes == [OPEN, OTHER] and found.actors == [ANN, BOB]
    assert found.keys == [(OPEN, ANN, "c1"), (OPEN, BOB, "b"), (OTHER, ANN, "c1")]
    assert found.agreement_kind == "agreement"


@pytest.mark.parametrize("role", ["creator", "manager", "member"])
def test_the_view_carries_the_senders_role_in_the_group(role: str) -> None:
    _, [outcome], [event] = run([post(actor=EVE)], rows(member(10, EVE, role=role)))
    assert not isinstance(outcome, QunzuError) and outcome[0].sender_role == GroupRole(role)
    assert event.message["sender"] == {"id": EVE, "nickname": f"nick{EVE}", "role": role}
