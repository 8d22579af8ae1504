"""The demo's year after approval: last year's approved applications followed to their ends through the
mobilities API, as the travellers, the schools and the office would have done it (the checklist, departure,
arrival, return, the staff trip reports and an event's summary accepted and published, a student's transcript
and credit recognition, an expert's permits). Only what lies in the past is recorded: a stay not over yet stays
under way. Called by demo_history.record after the year's applications are decided."""

from __future__ import annotations

import io
from datetime import date
from typing import Any, Protocol

from werkzeug.test import TestResponse

# A PNG of one pixel: the demo's photos.
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
       b"\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
TEXTS = {
    "schedule": "按批准的日程执行：抵达后与合作院系座谈，参加两天的专题研讨，参观联合实验室并讨论下一阶段的合作安排。",
    "results": "双方确定了联合培养研究生和共同申请国际合作项目的方向，并就学生交换名额达成初步意见。",
    "contacts": "与合作院系主任、国际处负责人及三位教授建立了联系，交换了联系方式和研究资料。",
    "follow_up": "回国后将向学院汇报，三个月内提交联合项目申请书，并安排对方教授来访。",
    "spending": "住宿与伙食费均在规定标准之内，国际旅费按经济舱标准购买，无超支。",
    "programme": "开幕式、两天的主题报告与分组讨论、实验室参观和闭幕座谈，均按计划举行。",
}


class Api(Protocol):
    def call(self, user: str, method: str, path: str, **kw: Any) -> TestResponse: ...


def _ok(response: TestResponse, what: str) -> Any:
    if response.status_code not in (200, 201):
        raise RuntimeError(f"demo after approval: {what}: {response.status_code} "
                           f"{response.get_data(as_text=True)[:300]}")
    return response.get_json()


def _text(section: str, length: int) -> str:
    base = TEXTS.get(section, TEXTS["results"])
    return (base * (length // len(base) + 1))[:length]


def _upload(api: Api, who: str, record: dict[str, Any], file_type: str, content: bytes, name: str) -> None:
    _ok(api.call(who, "POST", f"/api/v1/mobilities/{record['id']}/files",
                 data={"file_type": file_type, "file": (io.BytesIO(content), name)}), f"upload {file_type}")


def _report(api: Api, who: str, record: dict[str, Any], reviewer: str) -> None:
    path = f"/api/v1/mobilities/{record['id']}"
    report = record["report"]
    required = report["required"]
    length = required["min_chars"] // max(len(required["sections"]), 1) + 20
    _ok(api.call(who, "PUT", f"{path}/report", json={"sections": {
        s: _text(s, length) for s in required["sections"]}}), "write the report")
    for n in range(required["photos"]):
        _upload(api, who, record, "photo", PNG, f"photo-{n + 1}.png")
    if required["attendee_list"]:
        _upload(api, who, record, "attendee_list", PDF, "attendees.pdf")
    _ok(api.call(who, "POST", f"{path}/report/submit"), "hand the report in")
    _ok(api.call(reviewer, "POST", f"{path}/report/decision", json={"outcome": "accept"}), "the school accepts")
    _ok(api.call("icd.officer", "POST", f"{path}/report/decision", json={"outcome": "accept"}), "the ICD accepts")


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def follow(api: Api, application_id: str, today: date, reviewers: tuple[str, ...]) -> int:
    """Follow one approved application's records as far as today allows (`reviewers`: the school's, in the
    order they are asked); returns how many records moved."""
    moved = 0
    records = _ok(api.call("icd.officer", "GET", f"/api/v1/mobilities?application_id={application_id}"),
                  "the records")["items"]
    for record in records:
        start, end = _day(record["planned_start"]), _day(record["planned_end"])
        if start is None or end is None or start > today or record["status"] != "planned":
            continue
        who, path = record["owner"], f"/api/v1/mobilities/{record['id']}"
        school_reviewer = next(r for r in reviewers if r != who)  # nobody reviews their own report
        journey = record["journey"]
        for item in journey["checklist"]:
            _ok(api.call(who, "POST", f"{path}/checklist/{item}", json={"done": True}), f"tick {item}")
        if "held" in journey["steps"]:
            if end <= today:
                record = _ok(api.call(who, "POST", f"{path}/steps/held", json={"date": end.isoformat()}), "held")
                _report(api, who, record, school_reviewer)
            moved += 1
            continue
        _ok(api.call(who, "POST", f"{path}/departure", json={"date": start.isoformat()}), "departure")
        if "arrival_confirmation" in journey["files"]:
            _upload(api, who, record, "arrival_confirmation", PDF, "arrival.pdf")
            _ok(api.call(who, "POST", f"{path}/arrival", json={"date": start.isoformat()}), "arrival")
        for step in journey["steps"]:  # an expert's permits, within the month after entry
            _ok(api.call("icd.officer", "POST", f"{path}/steps/{step}", json={"date": start.isoformat()}), step)
        moved += 1
        if end > today:
            continue
        record = _ok(api.call(who, "POST", f"{path}/return", json={"date": end.isoformat()}), "return")
        if journey["owes"] in ("report", "summary"):
            _report(api, who, record, school_reviewer)
        elif journey["owes"] == "transcript":
            _upload(api, who, record, "transcript", PDF, "transcript.pdf")
            _ok(api.call(school_reviewer, "POST", f"{path}/recognitions", json={
                "host_course": "Advanced Topics in Computing", "credits": 6, "grade": "A-",
                "home_course": "Professional elective", "recognised_credits": 3}), "credit recognition")
    return moved
