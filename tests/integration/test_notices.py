"""Notices as their readers meet them (services/notifications, gateway/web/inbox.py): told in the reader's
current language from the event's facts, due times in the office's zone and the reader's words, links to where
the reader acts, read once opened, and done once the task they asked about is decided."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from mobility.embedded import Embedded
from tests.integration.test_web_pages import browser, csrf_of, system, token_for  # noqa: F401
from tests.integration.test_worklist import _submitted
from tests.support.wait import until


def _call(system: Embedded, user: str, method: str, path: str, **kwargs: Any) -> Any:  # noqa: F811
    client = system.gateway.test_client()
    return client.open(path, method=method, headers={"Authorization": f"Bearer {token_for(client, user)}"}, **kwargs)


def _notices(system: Embedded, user: str, **params: str) -> list[dict[str, Any]]:  # noqa: F811
    reply = _call(system, user, "GET", "/api/v1/notifications", query_string=params)
    assert reply.status_code == 200, reply.get_json()
    return reply.get_json()["items"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def case(system: Embedded) -> Iterator[dict[str, Any]]:  # noqa: F811
    application_id = _submitted(system, "alice", "Notices.")

    def task() -> list[dict[str, Any]]:
        return _call(system, "coord.cs", "GET", "/api/v1/review-tasks",
                     query_string={"application_id": application_id}).get_json()

    (first,) = until(task, what="the level 1 task")
    yield {"application_id": application_id, "task": first}


def _task_notice(system: Embedded, case: dict[str, Any], **params: str) -> dict[str, Any]:  # noqa: F811
    def found() -> list[dict[str, Any]]:
        return [n for n in _notices(system, "coord.cs", **params)
                if n["event_type"] == "review.task_created" and f"/tasks/{case['task']['id']}?" in n["link"]]

    return until(found, what="the coordinator's notice")[0]  # type: ignore[no-any-return]


def test_a_notice_is_told_in_the_language_asked_for_with_the_due_time_in_words(
        system: Embedded, case: dict[str, Any]) -> None:  # noqa: F811
    chinese = _task_notice(system, case, locale="zh")
    english = _task_notice(system, case, locale="en")
    assert chinese["id"] == english["id"]
    assert chinese["subject"].startswith("新的审核任务") and english["subject"].startswith("New review task")
    assert re.search(r"截止 \d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}（北京时间）", chinese["body"]), chinese["body"]
    assert re.search(r"due \d{1,2} \w{3} \d{4}, \d{2}:\d{2} \(China Time\)", english["body"]), english["body"]
    for notice in (chinese, english):
        assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:", notice["body"])  # no ISO timestamps
    without = _notices(system, "coord.cs")  # no language asked for: Accept-Language, else as written
    assert chinese["id"] in {n["id"] for n in without}


def test_links_go_where_the_reader_acts(system: Embedded, case: dict[str, Any]) -> None:  # noqa: F811
    link = _task_notice(system, case)["link"]
    assert link.endswith(f"/tasks/{case['task']['id']}?application={case['application_id']}")
    applicants = until(lambda: [n for n in _notices(system, "alice", locale="en")
                                if n["event_type"] == "application.submitted"
                                and n["link"].endswith(f"/applications/{case['application_id']}")],
                       what="alice's notice")
    assert applicants[0]["subject"].startswith("Application submitted")


def test_the_inbox_page_speaks_the_pages_language(system: Embedded, case: dict[str, Any]) -> None:  # noqa: F811
    notice = _task_notice(system, case)
    english = browser(system, "coord.cs")
    english.post("/language", data={"lang": "en", "csrf_token": csrf_of(english.get("/inbox").text)})
    page = english.get("/inbox").text
    assert f'data-notice="{notice["id"]}"' in page and "New review task" in page and "新的审核任务" not in page
    english.post("/language", data={"lang": "zh", "csrf_token": csrf_of(page)})
    assert "新的审核任务" in english.get("/inbox").text


def test_opening_a_notice_marks_it_read_and_goes_to_the_task(system: Embedded,  # noqa: F811
                                                            case: dict[str, Any]) -> None:
    notice = _task_notice(system, case)
    stranger = browser(system, "coord.me")
    token = csrf_of(stranger.get("/inbox").text)
    assert stranger.post(f"/inbox/{notice['id']}/open", data={"csrf_token": token}).status_code == 404
    assert browser(system, "coord.cs").post(f"/inbox/{notice['id']}/open").status_code == 400  # no CSRF token
    assert _task_notice(system, case)["read_at"] is None

    reader = browser(system, "coord.cs")
    opened = reader.post(f"/inbox/{notice['id']}/open", data={"csrf_token": csrf_of(reader.get("/inbox").text)})
    assert opened.status_code == 302 and opened.headers["Location"].startswith(f"/tasks/{case['task']['id']}?")
    assert _task_notice(system, case)["read_at"] is not None


def test_a_decided_tasks_notices_are_done(system: Embedded, case: dict[str, Any]) -> None:  # noqa: F811
    task = case["task"]
    decided = _call(system, "coord.cs", "POST", f"/api/v1/review-tasks/{task['id']}/decision",
                    json={"outcome": "approve", "comment": "Fine.", "application_version": task["application_version"]})
    assert decided.status_code == 201, decided.get_json()
    done = until(lambda: (n := _task_notice(system, case))["done_at"] and n, what="the notice done")
    assert done["read_at"] is not None
    page = browser(system, "coord.cs", language="en").get("/inbox").text
    card = page[page.index(f'data-notice="{done["id"]}"'):]
    assert card.startswith(f'data-notice="{done["id"]}" data-done') or "data-done" in card[:200]


def test_a_withdrawn_applications_task_notices_are_done(system: Embedded) -> None:  # noqa: F811
    application_id = _submitted(system, "bob", "Withdrawn later.")

    def notices() -> list[dict[str, Any]]:
        return [n for n in _notices(system, "coord.cs")
                if n["event_type"] == "review.task_created" and n["link"].endswith(f"application={application_id}")]

    (notice,) = until(notices, what="the coordinator's notice")
    assert notice["done_at"] is None and notice["read_at"] is None
    version = _call(system, "bob", "GET", f"/api/v1/applications/{application_id}").get_json()["version"]
    withdrawn = _call(system, "bob", "POST", f"/api/v1/applications/{application_id}/withdraw",
                      json={"version": version})
    assert withdrawn.status_code == 200, withdrawn.get_json()
    done = until(lambda: [n for n in notices() if n["done_at"]], what="the notice done")
    assert done[0]["read_at"] is not None
