"""The selection pages on the embedded system, against the real placements service through the gateway (issue 20):
a school's coordinator scores their school's candidates in one grid (a refusal names the cell by its label and
stores nothing; another school's candidates are not in it), the ICD runs the allocation after a confirmation and
reads the run with its waiting lists, a student accepts their offer and another declines after a confirmation
(the place moves down the waiting list), the ICD nominates the student who accepted and records the partner's
answer. A student reaches none of the office's pages; a reader in Chinese reads the states in Chinese.
"""

from __future__ import annotations

import io
import uuid
from typing import Any
from urllib.parse import urlsplit

from flask.testing import FlaskClient

from mobility.embedded import Embedded
from tests.integration.test_group_trip_pages import speaking
from tests.integration.test_web_pages import browser, csrf_of, system  # noqa: F401
from tests.support.pages import error_summary, page_text
from tests.support.selection import Selection, api, partner_link, seed


def _post(client: FlaskClient, path: str, form_path: str | None = None, **values: str) -> Any:
    page = client.get(form_path or path)
    assert page.status_code == 200, page.text[:500]
    return client.post(path, data={"csrf_token": csrf_of(page.text), **values})


def _round(system: Embedded, chosen: Selection) -> dict[str, Any]:  # noqa: F811
    reply = api(system, "icd.officer", "GET", f"/api/v1/selection-rounds/{chosen.round_id}")
    assert reply.status_code == 200, reply.get_json()
    return {row["applicant"]: row for row in reply.get_json()["ranking"]}


def _offers(system: Embedded, user: str) -> list[dict[str, Any]]:  # noqa: F811
    reply = api(system, user, "GET", "/api/v1/offers?mine=1")
    assert reply.status_code == 200, reply.get_json()
    return reply.get_json()["items"]  # type: ignore[no-any-return]


def test_a_coordinator_scores_their_schools_candidates_in_one_grid(system: Embedded) -> None:  # noqa: F811
    chosen = seed(system)
    ids = chosen.candidates
    grid_path = f"/selection/rounds/{chosen.round_id}/scores"
    coordinator = speaking(browser(system, "coord.cs"), "en")
    page = coordinator.get(grid_path)
    assert page.status_code == 200
    assert 'id="selection-link"' in page.text
    for applicant in ("alice", "bob", "dana"):
        assert f'id="interview-{ids[applicant]}"' in page.text
    for applicant in ("chen", "evan"):  # another school's candidates are not in this grid
        assert ids[applicant] not in page.text
    assert 'for="interview-' + ids["alice"] + '" class="sr-only">Interview, Alice Wang</label>' in page.text

    refused = _post(coordinator, grid_path, **{f"interview-{ids['alice']}": "120", f"bonus-{ids['bob']}": "x",
                                                f"interview-{ids['dana']}": "70"})
    assert refused.status_code == 422
    assert error_summary(refused.text) == [
        (f"#interview-{ids['alice']}", "Interview, Alice Wang: enter a number from 0 to 100, with at most 2 decimals."),
        (f"#bonus-{ids['bob']}", "Bonus, Bob Zhang: enter a number from 0 to 10, with at most 2 decimals.")]
    assert 'value="120"' in refused.text and 'aria-invalid="true"' in refused.text
    assert all("interview" in row["missing"] for row in _round(system, chosen).values())  # nothing stored

    saved = _post(coordinator, grid_path, **{f"interview-{ids['alice']}": "92.5", f"interview-{ids['bob']}": "80",
                                              f"bonus-{ids['bob']}": "2", f"interview-{ids['dana']}": "70"})
    assert saved.status_code == 302
    rows = _round(system, chosen)
    assert (rows["alice"]["parts"]["interview"], rows["bob"]["parts"]["bonus"]) == ("92.50", "2.00")
    assert "interview" in rows["chen"]["missing"]
    again = coordinator.get(grid_path)
    assert f'id="interview-{ids["alice"]}" name="interview-{ids["alice"]}" value="92.50"' in again.text

    # the other school's coordinator sees only theirs; a student has no grid
    other = browser(system, "coord.me").get(grid_path)
    assert ids["chen"] in other.text and ids["alice"] not in other.text
    assert browser(system, "alice").get(grid_path).status_code == 403
    assert browser(system, "alice").get(f"/selection/rounds/{chosen.round_id}").status_code == 403


def test_the_icd_allocates_a_student_accepts_another_declines_and_the_partner_answers(
        system: Embedded) -> None:  # noqa: F811
    chosen = seed(system)
    icd = speaking(browser(system, "icd.officer"), "en")
    rounds = icd.get("/selection")
    assert rounds.status_code == 200 and chosen.name in rounds.text
    round_path = f"/selection/rounds/{chosen.round_id}"
    ranking = icd.get(round_path)
    assert ranking.status_code == 200
    words = page_text(ranking.text)
    assert "Interview not scored yet" in words and "Grade point average: 97.50" in words

    confirm = icd.get(f"{round_path}/allocate")
    assert confirm.status_code == 200 and "Run the allocation?" in confirm.text
    assert "Candidates still missing a score: 5." in page_text(confirm.text)
    ran = icd.post(f"{round_path}/allocate", data={"csrf_token": csrf_of(confirm.text), "reason": "manual"})
    assert ran.status_code == 302 and ran.headers["Location"].endswith("/runs#run-1")
    runs = page_text(icd.get(f"{round_path}/runs").text)
    assert "Run 1 Why Run by the office By icd.officer" in runs
    assert "Sorbonne University 1 Bob Zhang Evan Zhou" in runs  # placed, then the waiting list in order
    assert "Without a place: Evan Zhou" in runs

    # alice accepts; bob declines after a confirmation and his place goes to evan, next on the waiting list
    alice = speaking(browser(system, "alice"), "en")
    offers = alice.get("/offers")
    offer = _offers(system, "alice")[0]
    assert offer["partner_name"] == "TU Munich" and 'id="offers-link"' in offers.text
    assert "Answer by" in offers.text and "days left." in offers.text
    accepted = alice.post(f"/offers/{offer['id']}/accept", data={"csrf_token": csrf_of(offers.text),
                                                                "version": str(offer["version"])})
    assert accepted.status_code == 302
    assert _offers(system, "alice")[0]["status"] == "accepted"
    bobs = _offers(system, "bob")[0]
    assert alice.get(f"/offers/{bobs['id']}/decline").status_code == 404  # another's offer is not there
    bob = speaking(browser(system, "bob"), "en")
    asked = bob.get(f"/offers/{bobs['id']}/decline")
    assert asked.status_code == 200 and "Decline this place?" in asked.text
    declined = bob.post(f"/offers/{bobs['id']}/decline", data={"csrf_token": csrf_of(asked.text),
                                                               "version": str(bobs["version"])})
    assert declined.status_code == 302
    rows = _round(system, chosen)
    assert rows["bob"]["offer"]["status"] == "declined"
    assert rows["evan"]["offer"]["partner_name"] == "Sorbonne University"
    again = bob.post(f"/offers/{bobs['id']}/accept", data={"csrf_token": csrf_of(asked.text),
                                                           "version": str(bobs["version"])})
    assert again.status_code == 409 and "This offer can no longer be answered" in page_text(again.text)

    # the ICD nominates alice and records the partner's answer given to the office (a refusal first)
    page = icd.get(round_path)
    assert f'id="nominate-{chosen.candidates["alice"]}"' in page.text
    assert f'id="nominate-{chosen.candidates["evan"]}"' not in page.text  # not accepted yet
    nominated = icd.post(f"{round_path}/nominate", data={"csrf_token": csrf_of(page.text),
                                                         "application_id": chosen.candidates["alice"]})
    assert nominated.status_code == 302
    twice = icd.post(f"{round_path}/nominate", data={"csrf_token": csrf_of(page.text),
                                                     "application_id": chosen.candidates["alice"]})
    assert twice.status_code == 409 and "already nominated to TU Munich" in page_text(twice.text)
    nomination = api(system, "icd.officer", "GET", f"/api/v1/nominations?round_id={chosen.round_id}"
                     ).get_json()["items"][0]
    answer_path = f"/selection/nominations/{nomination['id']}/answer"
    blank = _post(icd, answer_path)
    assert blank.status_code == 422
    assert error_summary(blank.text) == [("#decision-approve", "Choose the partner's answer.")]
    recorded = _post(icd, answer_path, decision="approve", comment="Welcome", version=str(nomination["version"]))
    assert recorded.status_code == 302
    shown = page_text(icd.get(round_path).text)
    assert "Accepted by the partner" in shown and "told to the office" in shown

    # the coordinator reads the round without the office's buttons; a student reaches no office page
    coordinator = browser(system, "coord.cs").get(round_path)
    assert coordinator.status_code == 200 and 'id="allocate-link"' not in coordinator.text
    assert chosen.candidates["evan"] not in coordinator.text
    for path in ("/selection", f"{round_path}/allocate", f"{round_path}/runs", answer_path):
        assert alice.get(path).status_code == 403, path


def test_a_reader_in_chinese_reads_the_states_in_chinese(system: Embedded) -> None:  # noqa: F811
    chosen = seed(system)
    ran = api(system, "icd.officer", "POST", f"/api/v1/selection-rounds/{chosen.round_id}/allocations", json={})
    assert ran.status_code == 201, ran.get_json()
    bob = speaking(browser(system, "bob"), "zh")
    page = page_text(bob.get("/offers").text)
    assert "我的录取通知" in page and "等待学生答复" in page and "接受名额" in page
    icd = speaking(browser(system, "icd.officer"), "zh")
    shown = page_text(icd.get(f"/selection/rounds/{chosen.round_id}").text)
    assert "名额已分配" in shown and "面试尚未评分" in shown
    runs = page_text(icd.get(f"/selection/rounds/{chosen.round_id}/runs").text)
    assert "国际交流处执行" in runs and "候补名单（按顺序）" in runs


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_a_student_finds_the_candidate_list_and_the_acceptance_letter_reaches_only_its_readers(
        system: Embedded) -> None:  # noqa: F811
    chosen = seed(system)
    round_api = f"/api/v1/selection-rounds/{chosen.round_id}"
    assert api(system, "icd.officer", "POST", f"{round_api}/allocations", json={"reason": "manual"}).status_code == 201
    notice_path = f"/selection/rounds/{chosen.round_id}/publicity"
    icd = speaking(browser(system, "icd.officer"), "en")
    assert f'href="{notice_path}" id="list-link"' in icd.get(f"/selection/rounds/{chosen.round_id}").text
    coordinator = browser(system, "coord.cs").get(f"/selection/rounds/{chosen.round_id}")
    assert 'id="list-link"' not in coordinator.text  # nothing published yet: nothing to read
    assert api(system, "icd.officer", "POST", f"{round_api}/publicity").status_code == 201
    assert 'id="list-link"' in browser(system, "coord.cs").get(f"/selection/rounds/{chosen.round_id}").text

    # a student goes from their offers (or the menu) to the lists, to this list, and objects
    bob = speaking(browser(system, "bob"), "en")
    offers = bob.get("/offers")
    assert 'id="lists-link-offers"' in offers.text and 'id="lists-link"' in offers.text
    lists = bob.get("/selection/lists")
    assert lists.status_code == 200
    assert f'href="{notice_path}" id="list-{chosen.round_id}">{chosen.name}</a>' in lists.text
    assert "Running" in page_text(lists.text)
    lodged = _post(bob, notice_path, text="My language score is missing a decimal.")
    assert lodged.status_code == 302 and lodged.headers["Location"].endswith(f"{notice_path}/objected")
    assert "Paused for an objection" in page_text(bob.get("/selection/lists").text)
    assert chosen.name in icd.get("/selection/lists").text  # the office finds it among every round

    # alice accepts, is nominated, and the partner answers on its link with a letter
    offer = _offers(system, "alice")[0]
    assert api(system, "alice", "POST", f"/api/v1/offers/{offer['id']}/accept",
               json={"version": offer["version"]}).status_code == 200
    made = api(system, "icd.officer", "POST", "/api/v1/nominations",
               json={"round_id": chosen.round_id, "application_id": chosen.candidates["alice"]})
    assert made.status_code == 201, made.get_json()
    nomination = made.get_json()["id"]
    letter_path = f"/selection/nominations/{nomination}/letter"
    assert f'id="letter-{nomination}"' not in icd.get(f"/selection/rounds/{chosen.round_id}").text  # no letter yet
    link = urlsplit(partner_link(system, nomination)).path
    partner = system.gateway.test_client()
    form = partner.get(link)
    assert form.status_code == 200
    answered = partner.post(link, data={"csrf_token": csrf_of(form.text), "decision": "approve", "comment": "",
                                        "letter": (io.BytesIO(PDF), "acceptance.pdf")},
                            content_type="multipart/form-data")
    assert answered.status_code == 200, answered.text[:800]

    page = icd.get(f"/selection/rounds/{chosen.round_id}").text
    assert f'href="{letter_path}" id="letter-{nomination}" download>Acceptance letter</a>' in page
    assert f'id="letter-{nomination}"' in icd.get(f"/selection/nominations/{nomination}/answer").text
    for reader in (icd, browser(system, "alice")):  # the office and the student it names
        got = reader.get(letter_path)
        assert got.status_code == 200 and got.data == PDF
        assert got.headers["Content-Disposition"].startswith("attachment")
    assert browser(system, "bob").get(letter_path).status_code in (403, 404)  # another student
    assert browser(system, "bob").get(f"/selection/nominations/{uuid.uuid4()}/letter").status_code == 404
