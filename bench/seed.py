"""Rows written straight into the services' databases with COPY, shaped exactly as the services write them:
drafts waiting to be submitted, and the history a busy university accumulates (applications and tasks).

Seeding is preparation, not what is measured: the submissions and the queue are then driven through the
gateway like any client would.
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime, timedelta

import psycopg

from bench.environment import libpq
from services.applications import kinds

HOSTED_EVENT = {  # a complete hosted_event form: this kind needs no documents, so a draft is submittable
    "title": "Sino-German Workshop on Intelligent Manufacturing", "start_date": "2031-05-12",
    "end_date": "2031-05-14", "delegation_size": 12, "countries": ["DE", "AT"],
    "agenda": "Day 1: keynotes; day 2: lab visits; day 3: joint project planning.", "budget": "85000.00",
}
SCHOOLS = ["cs", "me", *(f"s{n:02d}" for n in range(18))]
STUDENT_EXCHANGE = {  # the history is student exchanges: three levels each (coordinator, dean, ICD)
    "partner_choices": ["0f8e2a52-6d0c-4c57-9d7e-2b1f0c1e9a11"], "term": "2027-fall", "gpa": "3.60",
    "language_certificate": {"type": "IELTS", "score": "7.0"},
    "motivation": "Courses in distributed systems that my home school does not offer.",
}
TITLE = "Exchange semester at a partner university"
LEVELS = [("school_coordinator", True, 5), ("school_dean", True, 5), ("icd_officer", False, 7)]
APPLICATION_COLUMNS = ("id", "kind", "program_id", "applicant", "applicant_name", "applicant_email", "school",
                       "locale", "title", "status", "version", "revision", "form", "created_at", "updated_at",
                       "submitted_at")
TASK_COLUMNS = ("id", "application_id", "application_version", "kind", "program_id", "title", "applicant", "round",
                "level", "role", "school", "status", "claimed_by", "due_at", "created_at", "decided_at", "outcome")


def _copy(database_url: str, table: str, columns: tuple[str, ...], rows: list[tuple[object, ...]]) -> None:
    with psycopg.connect(libpq(database_url)) as conn:
        with conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        conn.execute(f"ANALYZE {table}")  # the planner sees the new rows at once


def drafts(applications_db: str, count: int, applicant: str = "prof.li", school: str = "cs") -> list[str]:
    """`count` complete hosted_event drafts of `applicant`, ready to submit; returns their ids."""
    assert not kinds.get("hosted_event").required_documents
    now = datetime.now(UTC)
    form = json.dumps(HOSTED_EVENT)
    ids = [str(uuid.uuid4()) for _ in range(count)]
    rows: list[tuple[object, ...]] = [
        (i, "hosted_event", None, applicant, "Li Wei", "li.wei@example.edu", school, "zh", HOSTED_EVENT["title"],
         "draft", 1, 1, form, now, now, None) for i in ids
    ]
    _copy(applications_db, "applications", APPLICATION_COLUMNS, rows)
    return ids


def history(applications_db: str, reviews_db: str, applications: int, tasks: int, open_share: float,
            seed: int = 7) -> dict[str, int]:
    """`applications` decided or in review, with `tasks` review tasks between them (three levels, and extra
    rounds where changes were requested); `open_share` of the applications wait in someone's queue."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    form = json.dumps(STUDENT_EXCHANGE)
    app_rows: list[tuple[object, ...]] = []
    task_rows: list[tuple[object, ...]] = []
    # Where the three levels per application fall short of `tasks`, earlier rounds (changes requested,
    # then resubmitted) make up the difference; the waiting ones have not reached their later levels yet.
    shortfall = tasks - len(LEVELS) * applications + applications * open_share
    extra_rounds = max(0, int(shortfall / len(LEVELS)) + 1)
    for n in range(applications):
        application_id = str(uuid.uuid4())
        school = SCHOOLS[n % len(SCHOOLS)]
        submitted = now - timedelta(days=rng.uniform(0, 3 * 365))
        waiting = rng.random() < open_share
        rounds = 2 if n < extra_rounds else 1
        current = rng.randrange(len(LEVELS)) if waiting else len(LEVELS)
        app_rows.append((application_id, "student_exchange", None, f"student{n % 20000}", f"Student {n % 20000}",
                         f"student{n % 20000}@example.edu", school, "zh", TITLE,
                         "in_review" if waiting else rng.choice(("approved", "approved", "approved", "rejected")),
                         rounds + 1, rounds + 1, form, submitted, submitted, submitted))
        for round_ in range(1, rounds + 1):
            for level, (role, school_scope, days) in enumerate(LEVELS, 1):
                created = submitted + timedelta(days=level)
                final_round = round_ == rounds
                if final_round and level - 1 > current:
                    break  # not reached yet
                is_open = final_round and level - 1 == current
                if is_open:  # waiting now, due in the coming days: no deadline fires while the queue is read
                    created = now - timedelta(hours=rng.uniform(1, 48))
                task_rows.append((
                    str(uuid.uuid4()), application_id, round_ + 1, "student_exchange", None, TITLE,
                    f"student{n % 20000}", round_, level, role, school if school_scope else None,
                    "open" if is_open else "done", None, created + timedelta(days=days), created,
                    None if is_open else created + timedelta(hours=rng.uniform(1, 96)),
                    None if is_open else ("return" if round_ < rounds else "approve"),
                ))
    task_rows = task_rows[:tasks]
    _copy(applications_db, "applications", APPLICATION_COLUMNS, app_rows)
    _copy(reviews_db, "review_tasks", TASK_COLUMNS, task_rows)
    return {"applications": len(app_rows), "tasks": len(task_rows),
            "open_tasks": sum(1 for row in task_rows if row[11] == "open")}
