"""The history checker of the fault suite: reads every service's tables after a workload and reports, per
application, what was lost, duplicated or unexpected — events and their effects.

Expected, for a student exchange submitted once and approved at its three levels:
- applications: status `approved`; history draft → submitted → in_review → approved, once each; its outbox
  holds `application.submitted` and `application.approved` once each;
- reviews: one task per level (1, 2, 3), three decisions; its outbox holds `review.task_created` and
  `review.decision_recorded` three times each and `review.completed` once;
- the bus: every event any outbox holds reached notifications' feed exactly once (a private one, such as
  `user.registered` or `program.saved`, the inbox of a service that consumes it), and the feed holds nothing
  no outbox wrote;
- notifications: the applicant has an inbox and an email notification for `application.submitted` and
  `application.approved`; each task's reviewer one for its `review.task_created`; no (event, recipient,
  channel) twice;
- mobilities: one record per traveller of each approved application (a student exchange: one, owned by the
  applicant) and none for any other application; each record's `mobility.*` events in its outbox exactly once per
  step the workload took (`mobility.planned` from the approval, then `mobility.departed` and `mobility.returned`),
  and its status the last step's; its inbox holds each approval's `application.approved`;
- every outbox row of every owner sent; no inbox holds an event twice for one consumer;
- nothing parked in any dead-letter queue.

Some duplicates cannot even be stored (unique constraints on the feed's event id and on a notification's
event, recipient and channel); they are counted anyway, as a check on the schema. A redelivery that got past
the inbox would show as a parked message (the constraint refusing it), which is counted too.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import psycopg

from chassis.owners import OWNERS
from chassis.settings import DATABASE_OWNERS
from eventbus import catalog

APPLICATION_EVENTS = {"application.submitted": 1, "application.approved": 1}
REVIEW_EVENTS = {"review.task_created": 3, "review.decision_recorded": 3, "review.completed": 1}
HISTORY = {"draft": 1, "submitted": 1, "in_review": 1, "approved": 1}
LEVELS = {1: "school_coordinator", 2: "school_dean", 3: "icd_officer"}
# A lifecycle step the workload takes through the gateway → the event it makes the record announce, and the
# record's status after it. Ticking the checklist announces nothing.
STEPS = {"departure": ("mobility.departed", "departed"), "return": ("mobility.returned", "returned")}
HOLD_EVENTS = ("mobility.hold_placed", "mobility.hold_cleared")  # their subject is the hold, not a record


@dataclass
class Report:
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)  # (category, lost|duplicated|unexpected)
    examples: list[str] = field(default_factory=list)

    def add(self, category: str, kind: str, detail: str, n: int = 1) -> None:
        self.counts[(category, kind)] += n
        if len(self.examples) < 30:
            self.examples.append(f"{category} {kind}: {detail}")

    @property
    def clean(self) -> bool:
        return not any(self.counts.values())

    def table(self) -> str:
        categories = ["status", "history", "application events", "review tasks", "decisions", "review events",
                      "feed", "notifications", "mobilities", "mobility status", "mobility events", "inbox",
                      "outbox", "parked"]
        rows = [f"{'':20} {'lost':>6} {'duplicated':>11} {'unexpected':>11}"]
        for c in categories:
            rows.append(f"{c:20} {self.counts[(c, 'lost')]:>6} {self.counts[(c, 'duplicated')]:>11} "
                        f"{self.counts[(c, 'unexpected')]:>11}")
        return "\n".join(rows + self.examples)


def _compare(report: Report, category: str, subject: str, expected: dict, seen: Counter) -> None:  # type: ignore[type-arg]
    for key, want in expected.items():
        got = seen.get(key, 0)
        if got < want:
            report.add(category, "lost", f"{subject} {key}: {got} of {want}", want - got)
        elif got > want:
            report.add(category, "duplicated", f"{subject} {key}: {got} for {want}", got - want)
    for key, got in seen.items():
        if key not in expected:
            report.add(category, "unexpected", f"{subject} {key} ×{got}", got)


def _rows(url: str, sql: str, *args: object) -> list[tuple]:  # type: ignore[type-arg]
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        return conn.execute(sql, args).fetchall()


def check_mobilities(report: Report, pg_urls: dict[str, str], applications: dict[str, dict[str, Any]],
                     approvals: dict[str, list[str]]) -> None:
    """The mobilities service's side: its records, their events, its inbox. `approvals`: application id → the
    event ids of its `application.approved` (applications' outbox)."""
    mob = pg_urls["mobilities"]
    records: dict[str, list[tuple[str, str, str]]] = {}  # application id → [(record id, owner, status)]
    unexpected: Counter[str] = Counter()
    for record_id, application_id, owner, status in _rows(
            mob, "SELECT id, application_id, owner, status FROM mobilities ORDER BY application_id, position"):
        if application_id in applications:
            records.setdefault(application_id, []).append((record_id, owner, status))
        else:
            unexpected[application_id] += 1
    for application_id, n in unexpected.items():
        report.add("mobilities", "unexpected", f"{n} record(s) of {application_id}, not an approved one", n)
    events: dict[str, Counter[str]] = {}  # record id → its mobility.* events
    for event_type, subject in _rows(mob, "SELECT type, subject FROM outbox WHERE type LIKE 'mobility.%%'"):
        if event_type not in HOLD_EVENTS:
            events.setdefault(subject, Counter())[event_type] += 1
    received = Counter(e for (e,) in _rows(mob, "SELECT event_id FROM inbox WHERE event_type = 'application.approved'"))

    known: set[str] = set()
    for application_id, expected in applications.items():
        mine = records.get(application_id, [])
        known.update(r for r, _, _ in mine)
        _compare(report, "mobilities", application_id, {"travellers": int(expected.get("travellers", 1))},
                 Counter({"travellers": len(mine)}))
        steps = list(expected.get("steps", ()))
        want = Counter({"mobility.planned": 1, **{STEPS[s][0]: 1 for s in steps}})
        status = STEPS[steps[-1]][1] if steps else "planned"
        for record_id, owner, got in mine:
            if owner != expected["applicant"]:
                report.add("mobilities", "unexpected", f"{record_id} owned by {owner}, not {expected['applicant']}")
            if got != status:
                report.add("mobility status", "lost", f"{record_id} is {got}, not {status} after {steps}")
            _compare(report, "mobility events", record_id, want, events.get(record_id, Counter()))
        if not any(received[e] for e in approvals.get(application_id, [])):
            report.add("inbox", "lost", f"mobilities never received {application_id}'s application.approved")
    for record_id in events.keys() - known:
        report.add("mobility events", "unexpected", f"{record_id} {dict(events[record_id])} (no such record of "
                   "an approved application)", sum(events[record_id].values()))


def check_delivery(report: Report, pg_urls: dict[str, str]) -> None:
    """Every owner's outbox sent, and no event twice in any inbox for one consumer (the primary key forbids it:
    counted anyway, as a check on the schema)."""
    for owner in DATABASE_OWNERS:
        unsent = int(_rows(pg_urls[owner], "SELECT count(*) FROM outbox WHERE sent_at IS NULL")[0][0])
        if unsent:
            report.add("outbox", "lost", f"{owner}: {unsent} row(s) never sent", unsent)
        for consumer, event_id, n in _rows(pg_urls[owner], "SELECT consumer, event_id, count(*) FROM inbox "
                                                           "GROUP BY consumer, event_id HAVING count(*) > 1"):
            report.add("inbox", "duplicated", f"{owner} {consumer} {event_id}", n - 1)


def check(pg_urls: dict[str, str], applications: dict[str, dict[str, Any]], parked: int = 0) -> Report:
    """`applications`: id → {"applicant": username, "reviewers": {level: username}} for every application
    the workload submitted and had approved, with "steps" (["departure", "return"], in order) for those the
    workload took further, and "travellers" when it is not one. `pg_urls`: every owner's database."""
    report = Report()
    ids = list(applications)
    apps, reviews, notes = pg_urls["applications"], pg_urls["reviews"], pg_urls["notifications"]

    status = dict(_rows(apps, "SELECT id, status FROM applications WHERE id = ANY(%s)", ids))
    history: dict[str, Counter[str]] = {i: Counter() for i in ids}
    for application_id, to_status in _rows(apps, "SELECT application_id, to_status FROM application_history "
                                                 "WHERE application_id = ANY(%s)", ids):
        history[application_id][to_status] += 1
    tasks: dict[str, Counter[int]] = {i: Counter() for i in ids}
    for application_id, level in _rows(reviews, "SELECT application_id, level FROM review_tasks "
                                                "WHERE application_id = ANY(%s)", ids):
        tasks[application_id][level] += 1
    decisions = Counter(a for (a,) in _rows(
        reviews, "SELECT application_id FROM review_decisions WHERE application_id = ANY(%s)", ids))

    outbox_events: dict[str, tuple[str, str]] = {}  # event id → (type, subject)
    for owner in DATABASE_OWNERS:
        for event_id, event_type, subject in _rows(pg_urls[owner], "SELECT event_id, type, subject FROM outbox"):
            outbox_events[event_id] = (event_type, subject)
    per_subject: dict[str, Counter[str]] = {i: Counter() for i in ids}
    for event_type, subject in outbox_events.values():
        if subject in per_subject:
            per_subject[subject][event_type] += 1
    feed: Counter[str] = Counter()
    task_levels: dict[str, int] = {}  # review.task_created event id → its level
    for event_id, event_type, body in _rows(notes, "SELECT event_id, event_type, event FROM feed"):
        feed[event_id] += 1
        if event_type == "review.task_created":
            task_levels[event_id] = int(json.loads(body)["data"]["level"])
    # Private types (user.registered, program.saved) are not in the feed; the inbox of a service that consumes
    # them (notifications, placements, ...) shows they arrived.
    received = {event_id for name, owner in OWNERS.items() if owner.consumes
                for (event_id,) in _rows(pg_urls[name], "SELECT event_id FROM inbox")}
    for event_id in outbox_events.keys() - feed.keys():
        if not catalog.is_public(outbox_events[event_id][0]) and event_id in received:
            continue
        report.add("feed", "lost", f"{outbox_events[event_id]} {event_id}")
    for event_id in feed.keys() - outbox_events.keys():
        report.add("feed", "unexpected", event_id)
    for event_id, n in feed.items():
        if n > 1:
            report.add("feed", "duplicated", event_id, n - 1)

    notified: dict[tuple[str, str, str], int] = Counter()
    for event_id, recipient, channel in _rows(notes, "SELECT event_id, recipient, channel FROM notifications"):
        notified[(event_id, recipient, channel)] += 1
    for key, n in notified.items():
        if n > 1:
            report.add("notifications", "duplicated", str(key), n - 1)
    by_type_subject: dict[tuple[str, str], list[str]] = {}
    for event_id, (event_type, subject) in outbox_events.items():
        by_type_subject.setdefault((event_type, subject), []).append(event_id)

    for application_id, who in applications.items():
        if status.get(application_id) != "approved":
            report.add("status", "lost", f"{application_id} is {status.get(application_id)}")
        _compare(report, "history", application_id, HISTORY, history[application_id])
        _compare(report, "review tasks", application_id, dict.fromkeys(LEVELS, 1), tasks[application_id])
        _compare(report, "decisions", application_id, {application_id: 3}, Counter({application_id:
                                                                                    decisions[application_id]}))
        events = per_subject[application_id]
        _compare(report, "application events", application_id, APPLICATION_EVENTS,
                 Counter({k: v for k, v in events.items() if k.startswith("application.")}))
        _compare(report, "review events", application_id, REVIEW_EVENTS,
                 Counter({k: v for k, v in events.items() if k.startswith("review.")}))
        expected = [(t, who["applicant"]) for t in APPLICATION_EVENTS]
        for event_type, recipient in expected:
            for event_id in by_type_subject.get((event_type, application_id), []):
                for channel in ("inbox", "email"):
                    if not notified.get((event_id, recipient, channel)):
                        report.add("notifications", "lost", f"{event_type} → {recipient} {channel}")
        for event_id in by_type_subject.get(("review.task_created", application_id), []):
            level = task_levels.get(event_id)
            reviewer = who["reviewers"].get(str(level)) if level else None
            if reviewer and not notified.get((event_id, reviewer, "inbox")):
                report.add("notifications", "lost", f"task level {level} → {reviewer}")
    approvals = {a: by_type_subject.get(("application.approved", a), []) for a in ids}
    check_mobilities(report, pg_urls, applications, approvals)
    check_delivery(report, pg_urls)
    if parked:
        report.add("parked", "unexpected", f"{parked} message(s) parked", parked)
    return report

