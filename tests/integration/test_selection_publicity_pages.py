"""The 差额公示 pages on the embedded system, against the real placements service through the gateway (issue 20
item 5): the ICD publishes a round's list after its allocation run, a student reads the list and its period in
words and objects through the form (an empty objection is refused in the error summary, nothing sent), the ICD
reads the objection's text and dismisses it on the decision page; a student reaches no decision page.
The period is counted from today on the real clock (the embedded system's), so the test asserts states, not dates.
"""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from mobility.embedded import Embedded
from tests.integration.test_group_trip_pages import speaking
from tests.integration.test_web_pages import browser, csrf_of, system  # noqa: F401
from tests.support.pages import page_text
from tests.support.selection import api, seed


def _post(client: FlaskClient, path: str, form_path: str | None = None, **values: str):  # type: ignore[no-untyped-def]
    page = client.get(form_path or path)
    assert page.status_code == 200, page.text[:500]
    return client.post(path, data={"csrf_token": csrf_of(page.text), **values})


def test_the_icd_publishes_a_student_objects_and_the_icd_dismisses(system: Embedded) -> None:  # noqa: F811
    chosen = seed(system)
    ran = api(system, "icd.officer", "POST", f"/api/v1/selection-rounds/{chosen.round_id}/allocations",
              json={"reason": "manual"})
    assert ran.status_code == 201, ran.get_json()
    path = f"/selection/rounds/{chosen.round_id}/publicity"

    student = speaking(browser(system, "alice"), "en")
    assert student.get(path).status_code == 404  # nothing published yet

    icd = speaking(browser(system, "icd.officer"), "en")
    unpublished = icd.get(path)
    assert unpublished.status_code == 200 and 'id="publish-list"' in unpublished.text
    published = _post(icd, f"{path}/publish", form_path=path)
    assert published.status_code == 302, published.text[:500]

    page = student.get(path)
    assert page.status_code == 200
    words = page_text(page.text)
    assert "Published for 5 working days, from" in words and "Running" in words
    assert chosen.name in words  # the program's name, though a student cannot read the round itself
    assert page.text.count("data-position=") == 5  # every candidate, more than the 4 places
    assert "Waiting list" in words

    refused = _post(student, path, text="   ")
    assert refused.status_code == 422
    assert 'class="error-summary"' in refused.text and 'href="#text"' in refused.text
    assert "Say what the objection is." in page_text(refused.text)
    lodged = _post(student, path, text="Candidate 3's interview was never held.",
                   application_id=chosen.candidates["bob"])
    assert lodged.status_code == 302 and lodged.headers["Location"].endswith(f"{path}/objected")
    assert student.get(f"{path}/objected").status_code == 200
    paused = page_text(student.get(path).text)
    assert "Paused for an objection" in paused and "Candidate 3's interview was never held." in paused  # their own

    others = page_text(speaking(browser(system, "prof.li"), "en").get(path).text)
    assert "Paused for an objection" in others and "never held" not in others  # no one else's text

    seen = icd.get(path).text
    assert "Candidate 3&#39;s interview was never held." in seen or "Candidate 3's interview was never held." in seen
    decide_path = re.search(r'href="([^"]+/objections/[^"]+)" id="decide-', seen)
    assert decide_path
    assert student.get(decide_path.group(1)).status_code == 403
    decision_page = icd.get(decide_path.group(1))
    assert decision_page.status_code == 200 and "never held" in page_text(decision_page.text)
    dismissed = _post(icd, decide_path.group(1), outcome="dismiss")
    assert dismissed.status_code == 302, dismissed.text[:800]
    assert "Running" in page_text(student.get(path).text)

    zh = speaking(browser(system, "bob"), "zh").get(path)
    assert zh.status_code == 200 and 'lang="zh' in zh.text


def test_a_teacher_who_reads_no_round_finds_the_list_from_the_menu_and_objects(system: Embedded) -> None:  # noqa: F811
    chosen = seed(system)
    round_api = f"/api/v1/selection-rounds/{chosen.round_id}"
    assert api(system, "icd.officer", "POST", f"{round_api}/allocations", json={"reason": "manual"}).status_code == 201
    path = f"/selection/rounds/{chosen.round_id}/publicity"
    teacher = speaking(browser(system, "prof.li"), "en")
    assert api(system, "prof.li", "GET", "/api/v1/selection-rounds").status_code == 403  # reads no round
    assert f'id="list-{chosen.round_id}"' not in teacher.get("/selection/lists").text  # nothing published yet

    assert api(system, "icd.officer", "POST", f"{round_api}/publicity").status_code == 201
    home = teacher.get("/", follow_redirects=True)
    menu = re.search(r'href="([^"]+)" id="lists-link"', home.text)
    assert menu, home.text[:800]
    lists = teacher.get(menu.group(1))
    assert lists.status_code == 200
    assert f'href="{path}" id="list-{chosen.round_id}">{chosen.name}</a>' in lists.text
    assert "Running" in page_text(lists.text)

    lodged = _post(teacher, path, text="The interview marks were never shown to the panel.")
    assert lodged.status_code == 302 and lodged.headers["Location"].endswith(f"{path}/objected")
    assert "Paused for an objection" in page_text(teacher.get(menu.group(1)).text)
    assert "never shown to the panel" in page_text(teacher.get(path).text)  # their own objection
