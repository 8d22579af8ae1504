"""The 差额公示 of a round's candidate list on PostgreSQL (issue 20 item 5), with the clock as an argument: the worked
example's round (12 candidates, 7 places) is allocated and its list published on the official calendar of 2031 as
reviews announces it (calendar.changed: a Friday holiday and a Saturday 调休 make-up day); an objection pauses it,
a dismissal resumes it with the right new end, an upheld one takes its candidate out of the round, re-runs the
allocation (the place goes to the head of the waiting list) and republishes the list for the rest of the period;
the sweep ends it and the round is final. A student can neither publish nor decide, and reads no objection's
text; a year the calendar does not know blocks the list until it is entered.

Dates (2031, Asia/Shanghai): published Mon 14 Apr for 5 working days: Tue 15, Wed 16, Thu 17, (Fri 18 holiday),
Sat 19 (make-up), Mon 21 → ends Mon 21. Objection Wed 16 → 3 days left (17, 19, 21). Dismissed Tue 22 → 23, 24,
25 → ends Fri 25. Objection Wed 23 → 2 left (24, 25). Upheld Thu 24 → 25, (26, 27 weekend) 28 → ends Mon 28.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from services.placements import list_publicity, offer_changes
from tests.integration.test_selection_rounds import ICD, run, score_all, setup_example
from tests.support.placements import Placements, placements_fixture  # noqa: F401

ZONE = "Asia/Shanghai"
REVIEWS = "/services/reviews"
CALENDAR_2031 = {"year": 2031, "demo": False, "days": [
    {"date": "2031-04-18", "workday": False, "name": "Qingming (test)"},
    {"date": "2031-04-19", "workday": True, "name": "Qingming (test)"}]}


def at(day: int, hour: int = 2) -> datetime:
    """An instant of April 2031 in UTC (02:00 UTC is 10:00 in Shanghai, the same day)."""
    return datetime(2031, 4, day, hour, tzinfo=UTC)


def allocated_round(p: Placements) -> str:
    _, round_id = setup_example(p)
    score_all(p, round_id)
    run(p, round_id)
    return round_id


def publish(p: Placements, round_id: str, now: datetime) -> dict[str, Any]:
    with p.sessions() as session, session.begin():
        notice = list_publicity.publish(session, round_id, ICD, now, ZONE)
        return {"status": notice.status, "opened_on": notice.opened_on, "ends_on": notice.ends_on,
                "reason": notice.reason, "content": notice.content}


def lodge(p: Placements, round_id: str, now: datetime, about: str | None = None, who: str = "alice") -> str:
    with p.sessions() as session, session.begin():
        return list_publicity.lodge(session, round_id, who, who.title(), "The scores look wrong.", about,
                                    now, ZONE).id


def decide(p: Placements, round_id: str, objection_id: str, outcome: str, now: datetime) -> None:
    with p.sessions() as session, session.begin():
        list_publicity.decide(session, round_id, objection_id, ICD, outcome,
                              "Checked against the files." if outcome == "uphold" else None, None, now, ZONE)


def notice(p: Placements, round_id: str) -> Any:
    return p.rows("SELECT status, opened_on, ends_on, remaining FROM list_notices WHERE round_id = :r",
                  r=round_id)[0]


def sweep(p: Placements, now: datetime) -> dict[str, int]:
    with p.sessions() as session, session.begin():
        return list_publicity.check(session, now, ZONE)


def test_publish_object_dismiss_uphold_and_end(placements: Placements) -> None:
    p = placements
    p.deliver("calendar.changed", CALENDAR_2031, subject="2031", source=REVIEWS)
    round_id = allocated_round(p)

    published = publish(p, round_id, at(14))
    assert (published["status"], published["opened_on"], published["ends_on"]) == \
        ("open", date(2031, 4, 14), date(2031, 4, 21))
    rows = published["content"]
    assert [r["position"] for r in rows] == list(range(1, 13))  # every ranked candidate: 12 for 7 places (差额)
    assert sum(1 for r in rows if r["allocated"] != list_publicity.WAITING) == 7
    assert p.scalar("SELECT status FROM rounds WHERE id = :r", r=round_id) == "publicised"
    assert p.events("selection.list_opened")[-1]["ends_on"] == "2031-04-21"

    first = lodge(p, round_id, at(16))
    assert tuple(notice(p, round_id)) == ("paused", date(2031, 4, 14), date(2031, 4, 21), 3)
    assert p.events("selection.list_objection_lodged")[-1]["remaining_working_days"] == 3
    assert "The scores look wrong." not in str(p.events("selection.list_objection_lodged"))

    decide(p, round_id, first, "dismiss", at(22))
    assert tuple(notice(p, round_id)) == ("open", date(2031, 4, 14), date(2031, 4, 25), None)

    # the objection is about the top candidate: upheld, they leave and their place goes down the waiting list
    top = rows[0]
    before = p.rows("SELECT result FROM allocation_runs WHERE round_id = :r ORDER BY number DESC LIMIT 1",
                    r=round_id)[0][0]
    partner = top["partner_id"]
    head = before["waiting"][partner][0]
    second = lodge(p, round_id, at(23), about=top["application_id"], who="bob")
    assert notice(p, round_id).remaining == 2
    decide(p, round_id, second, "uphold", at(24))
    assert tuple(notice(p, round_id)) == ("open", date(2031, 4, 14), date(2031, 4, 28), None)
    reason, inputs, result = p.rows("SELECT reason, inputs, result FROM allocation_runs WHERE round_id = :r "
                                    "ORDER BY number DESC LIMIT 1", r=round_id)[0]
    assert reason == "objection"
    assert top["application_id"] in inputs["excluded"]
    assert top["application_id"] not in result["assignment"] or result["assignment"][top["application_id"]] is None
    assert result["assignment"][head] == partner
    listed = p.scalar("SELECT content FROM list_notices WHERE round_id = :r", r=round_id)
    assert len(listed) == 11 and top["application_id"] not in {r["application_id"] for r in listed}
    assert p.scalar("SELECT status FROM offers WHERE application_id = :a AND status <> 'superseded' "
                    "ORDER BY made_at DESC LIMIT 1", a=top["application_id"]) == "withdrawn"
    decided = p.events("selection.list_objection_decided")
    assert [(d["outcome"], d["ends_on"]) for d in decided] == [("dismissed", "2031-04-25"), ("upheld", "2031-04-28")]

    # the ICD reads the texts; a student reads the list and only their own objection
    icd_view = p.call(ICD, "GET", f"/selection-rounds/{round_id}/publicity").get_json()
    assert [o["text"] for o in icd_view["objections"]] == ["The scores look wrong."] * 2
    alice_view = p.call("alice", "GET", f"/selection-rounds/{round_id}/publicity")
    assert alice_view.status_code == 200
    assert [o["objector"] for o in alice_view.get_json()["objections"]] == ["alice"]
    assert len(alice_view.get_json()["candidates"]) == 11

    assert sweep(p, at(28, 15)) == {"lists_opened": 0, "lists_ended": 0}  # 23:00 in Shanghai: its last day
    assert sweep(p, at(28, 16)) == {"lists_opened": 0, "lists_ended": 1}  # midnight there: over
    assert notice(p, round_id).status == "ended"
    assert p.scalar("SELECT status FROM rounds WHERE id = :r", r=round_id) == "final"
    assert p.events("selection.list_ended")[-1]["ends_on"] == "2031-04-28"
    late = p.call("bob", "POST", f"/selection-rounds/{round_id}/publicity/objections", json={"text": "Too late?"})
    assert late.status_code == 409 and "ended" in late.get_json()["detail"]


def test_a_student_cannot_publish_or_decide_and_an_objection_needs_text(placements: Placements) -> None:
    p = placements
    p.deliver("calendar.changed", CALENDAR_2031, subject="2031", source=REVIEWS)
    round_id = allocated_round(p)
    assert p.call("alice", "POST", f"/selection-rounds/{round_id}/publicity").status_code == 403
    publish(p, round_id, at(14))
    objection = lodge(p, round_id, at(15))
    refused = p.call("alice", "POST", f"/selection-rounds/{round_id}/publicity/objections/{objection}/decision",
                     json={"outcome": "dismiss"})
    assert refused.status_code == 403
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    assert p.scalar("SELECT status FROM list_objections WHERE id = :o", o=objection) == "open"
    empty = p.call("bob", "POST", f"/selection-rounds/{round_id}/publicity/objections", json={"text": ""})
    assert empty.status_code == 422
    unsaid = p.call(ICD, "POST", f"/selection-rounds/{round_id}/publicity/objections/{objection}/decision",
                    json={"outcome": "uphold"})
    assert unsaid.status_code == 422  # no comment, and the objection names no candidate
    assert p.call(ICD, "POST", f"/selection-rounds/{round_id}/publicity").status_code == 409  # published once


def test_an_unknown_calendar_year_blocks_the_list_until_it_is_entered(placements: Placements) -> None:
    p = placements
    round_id = allocated_round(p)
    blocked = publish(p, round_id, at(14))
    assert blocked["status"] == "blocked" and "2031" in blocked["reason"] and blocked["ends_on"] is None
    assert p.scalar("SELECT status FROM rounds WHERE id = :r", r=round_id) == "allocated"
    assert p.events("selection.list_opened") == []
    assert sweep(p, at(15)) == {"lists_opened": 0, "lists_ended": 0}
    # not public yet: the office reads it with its reason, anyone else finds no list (review 2, N5)
    shown = p.call(ICD, "GET", f"/selection-rounds/{round_id}/publicity").get_json()
    assert shown["status"] == "blocked" and "2031" in shown["reason"]
    hidden = p.call("alice", "GET", f"/selection-rounds/{round_id}/publicity")
    assert hidden.status_code == 404 and hidden.headers["Content-Type"].startswith("application/problem+json")
    assert "candidates" not in hidden.get_json()

    p.deliver("calendar.changed", CALENDAR_2031, subject="2031", source=REVIEWS)
    assert sweep(p, at(16)) == {"lists_opened": 1, "lists_ended": 0}
    assert tuple(notice(p, round_id)) == ("open", date(2031, 4, 16), date(2031, 4, 23), None)  # 17,19,21,22,23
    assert p.scalar("SELECT status FROM rounds WHERE id = :r", r=round_id) == "publicised"


def test_a_decline_while_the_list_runs_republishes_it(placements: Placements) -> None:
    p = placements
    p.deliver("calendar.changed", CALENDAR_2031, subject="2031", source=REVIEWS)
    round_id = allocated_round(p)
    rows = publish(p, round_id, at(14))["content"]
    top = rows[0]["application_id"]
    offer_id, version, applicant = p.rows(
        "SELECT o.id, o.version, c.applicant FROM offers o JOIN candidates c USING (application_id) "
        "WHERE o.application_id = :a AND o.status = 'offered'", a=top)[0]
    with p.sessions() as session, session.begin():
        offer_changes.answer(session, offer_id, applicant, version, False, datetime.now(UTC))
    (content,) = p.rows("SELECT content FROM list_notices WHERE round_id = :r", r=round_id)[0]
    assert top not in [r["application_id"] for r in content] and len(content) == len(rows) - 1


def test_an_upheld_objection_cancels_the_candidates_nomination(placements: Placements) -> None:
    p = placements
    p.deliver("calendar.changed", CALENDAR_2031, subject="2031", source=REVIEWS)
    round_id = allocated_round(p)
    rows = publish(p, round_id, at(14))["content"]
    top = rows[0]
    p.execute("UPDATE offers SET status = 'accepted', version = version + 1 WHERE application_id = :a "
              "AND status = 'offered'", a=top["application_id"])
    nomination = str(uuid.uuid4())
    p.execute("INSERT INTO nominations (id, round_id, application_id, partner_id, partner_name, status, "
              "nominated_by, nominated_at, version) VALUES (:i, :r, :a, :p, '', 'nominated', :icd, now(), 1)",
              i=nomination, r=round_id, a=top["application_id"], p=top["partner_id"], icd=ICD)
    objection = lodge(p, round_id, at(15), about=top["application_id"])
    decide(p, round_id, objection, "uphold", at(16))
    assert p.scalar("SELECT status FROM nominations WHERE id = :i", i=nomination) == "cancelled"
    assert p.events("nomination.cancelled")[-1]["reason"] == "objection"
    assert [e["application_id"] for e in p.events("offer.withdrawn")] == [top["application_id"]]


def test_anyone_signed_in_finds_the_running_lists_without_their_candidates(placements: Placements) -> None:
    """GET /selection-rounds/publicity on the real clock: a teacher who reads no round finds a running list (and
    a paused one, and one ended ten days ago), never its candidates or objections; one ended 40 days ago is gone."""
    p = placements
    p.deliver("calendar.changed", CALENDAR_2031, subject="2031", source=REVIEWS)
    round_id = allocated_round(p)
    assert p.call("prof.li", "GET", "/selection-rounds").status_code == 403  # reads no round

    def found(who: str = "prof.li") -> dict[str, Any]:
        reply = p.call(who, "GET", "/selection-rounds/publicity")
        assert reply.status_code == 200, reply.get_json()
        return {item["round_id"]: item for item in reply.get_json()["items"]}

    assert round_id not in found()  # nothing published yet
    publish(p, round_id, at(14))
    item = found()[round_id]
    assert item == {"round_id": round_id, "program_name": item["program_name"], "status": "open",
                    "opened_on": "2031-04-14", "ends_on": "2031-04-21", "remaining": None, "ended_at": None}
    assert item["program_name"]
    assert round_id in found("alice") and round_id in found(ICD)

    lodge(p, round_id, at(16))
    assert (found()[round_id]["status"], found()[round_id]["remaining"]) == ("paused", 3)
    text = str(p.call("prof.li", "GET", "/selection-rounds/publicity").get_json())
    assert "The scores look wrong." not in text and "application_id" not in text and "alice" not in text.lower()

    p.execute("UPDATE list_notices SET status = 'ended', ended_at = now() - interval '10 days' WHERE round_id = :r",
              r=round_id)
    assert found()[round_id]["status"] == "ended"
    p.execute("UPDATE list_notices SET ended_at = now() - interval '40 days' WHERE round_id = :r", r=round_id)
    assert round_id not in found()
    p.execute("UPDATE list_notices SET status = 'blocked', ended_at = NULL WHERE round_id = :r", r=round_id)
    assert round_id not in found()  # not public yet

    assert p.call("prof.li", "GET", "/selection-rounds/publicity", headers={"Authorization": "Bearer x"}
                  ).status_code == 401


def close(p: Placements, round_id: str) -> Any:
    version = p.scalar("SELECT version FROM rounds WHERE id = :r", r=round_id)
    return p.call(ICD, "POST", f"/selection-rounds/{round_id}/close", json={"version": version})


def round_status(p: Placements, round_id: str) -> str:
    return str(p.scalar("SELECT status FROM rounds WHERE id = :r", r=round_id))


def test_a_round_does_not_close_while_its_list_is_blocked_open_or_paused(placements: Placements) -> None:
    """Review 2, NB1: the close waits for the list's end, so the sweep never brings a closed round back."""
    p = placements
    round_id = allocated_round(p)
    assert publish(p, round_id, at(14))["status"] == "blocked"
    for state in ("blocked", "open", "paused"):
        if state == "open":
            p.deliver("calendar.changed", CALENDAR_2031, subject="2031", source=REVIEWS)
            assert sweep(p, at(14)) == {"lists_opened": 1, "lists_ended": 0}  # ends Mon 21
        if state == "paused":
            objection = lodge(p, round_id, at(16))
        refused = close(p, round_id)
        assert refused.status_code == 409, refused.get_json()
        assert refused.headers["Content-Type"].startswith("application/problem+json")
        assert "end or withdraw the candidate list first" in refused.get_json()["detail"]
        assert state in refused.get_json()["detail"]
        assert notice(p, round_id).status == state and round_status(p, round_id) != "closed"
    decide(p, round_id, objection, "dismiss", at(17))  # 3 days left from Thu 17: 19, 21, 22
    assert sweep(p, at(23)) == {"lists_opened": 0, "lists_ended": 1}
    assert round_status(p, round_id) == "final"
    closed = close(p, round_id)
    assert closed.status_code == 200 and closed.get_json()["status"] == "closed"
    assert sweep(p, at(24)) == {"lists_opened": 0, "lists_ended": 0}
    assert round_status(p, round_id) == "closed"


def test_the_sweep_never_changes_a_closed_round(placements: Placements) -> None:
    """Review 2, NB1 (a) and (b) on a round closed while its list ran, as before close refused it: a blocked list
    of a closed round never opens; the sweep ends a running one and leaves the round closed, also once the
    program has a newer round (no unique-index failure on every sweep); nobody objects to a closed round's list."""
    p = placements
    p.deliver("calendar.changed", CALENDAR_2031, subject="2031", source=REVIEWS)
    round_id = allocated_round(p)
    program = p.scalar("SELECT program_id FROM rounds WHERE id = :r", r=round_id)
    publish(p, round_id, at(14))  # open, ends Mon 21
    p.execute("UPDATE rounds SET status = 'closed' WHERE id = :r", r=round_id)
    objected = p.call("bob", "POST", f"/selection-rounds/{round_id}/publicity/objections", json={"text": "Why?"})
    assert objected.status_code == 409 and "closed" in objected.get_json()["detail"]

    p.execute("UPDATE list_notices SET status = 'blocked' WHERE round_id = :r", r=round_id)
    assert sweep(p, at(15)) == {"lists_opened": 0, "lists_ended": 0}  # the calendar knows 2031: still not opened
    assert notice(p, round_id).status == "blocked" and round_status(p, round_id) == "closed"

    p.execute("UPDATE list_notices SET status = 'open' WHERE round_id = :r", r=round_id)
    newer = p.call(ICD, "POST", "/selection-rounds", json={"program_id": program})  # (b) the next round first
    assert newer.status_code == 201, newer.get_json()
    assert sweep(p, at(22)) == {"lists_opened": 0, "lists_ended": 1}
    assert notice(p, round_id).status == "ended"
    assert round_status(p, round_id) == "closed" and round_status(p, newer.get_json()["id"]) == "open"
    assert sweep(p, at(23)) == {"lists_opened": 0, "lists_ended": 0}  # nothing left to retry
    assert len(p.events("selection.list_opened")) == 1


def test_an_open_offer_of_a_closed_round_can_still_be_declined(placements: Placements) -> None:
    """Review 2, NS2: as an accept, a decline of an open offer is recorded after the close (without a re-run:
    the round's offers no longer move), and a lapse too."""
    p = placements
    round_id = allocated_round(p)
    runs = p.scalar("SELECT count(*) FROM allocation_runs WHERE round_id = :r", r=round_id)
    assert close(p, round_id).status_code == 200
    (first, second) = p.rows("SELECT o.id, o.version, c.applicant FROM offers o JOIN candidates c "
                             "USING (application_id) WHERE o.round_id = :r AND o.status = 'offered' "
                             "ORDER BY o.id LIMIT 2", r=round_id)
    declined = p.call(first[2], "POST", f"/offers/{first[0]}/decline", json={"version": first[1]})
    assert declined.status_code == 200, declined.get_json()
    accepted = p.call(second[2], "POST", f"/offers/{second[0]}/accept", json={"version": second[1]})
    assert accepted.status_code == 200, accepted.get_json()
    assert p.scalar("SELECT status FROM offers WHERE id = :o", o=first[0]) == "declined"
    assert p.scalar("SELECT status FROM offers WHERE id = :o", o=second[0]) == "accepted"
    assert p.scalar("SELECT count(*) FROM allocation_runs WHERE round_id = :r", r=round_id) == runs
    assert round_status(p, round_id) == "closed"
    assert [e["offer_id"] for e in p.events("offer.declined")] == [first[0]]
