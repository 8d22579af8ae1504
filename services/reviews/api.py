"""HTTP resources for review tasks (behind the gateway at /api/v1/review-tasks): the queue, claim,
release, reassign and decide. A task outside the caller's roles and scope is "not found"."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from flask import Flask, request
from flask.views import MethodView
from flask_smorest import abort
from sqlalchemy import and_, false, or_, select
from sqlalchemy.orm import Session

from chassis import cursors
from chassis.app import ctx
from chassis.auth import current_identity
from chassis.blueprint import Blueprint
from chassis.errors import problem
from chassis.tokens import Identity
from chassis.tracing import correlation_id
from services.reviews import domain, progression
from services.reviews.events import task_event
from services.reviews.models import Decision, ReviewCase, ReviewTask
from services.reviews.roles import reviewing
from services.reviews.schemas import DecisionIn, DecisionOut, ReassignIn, TaskOut, TaskQuery

blp = Blueprint("review_tasks", __name__, url_prefix="/api/v1/review-tasks", description="Review tasks")


def register_domain_errors(app: Flask) -> None:
    def render(exc: domain.ReviewError):  # type: ignore[no-untyped-def]
        titles = {403: "Forbidden", 409: "Conflict", 422: "Unprocessable Entity"}
        extra = {"errors": exc.errors} if isinstance(exc, domain.Invalid) else getattr(exc, "details", {})
        return problem(exc.status, titles[exc.status], str(exc), **extra)

    app.register_error_handler(domain.ReviewError, render)


def reviewer_roles(identity: Identity) -> list[dict[str, Any]]:
    """The caller's review roles; none at all is a 403 (a student at the decision endpoint, say)."""
    roles = reviewing(identity.roles)
    if not roles:
        abort(403, message="Only reviewers work with review tasks.")
    return roles


def queue_filter(identity: Identity, roles: list[dict[str, Any]]) -> Any:
    """Open tasks of my roles and scopes (plus my own claims), and escalated tasks I supervise, claimed or
    not; never a task on my own application."""
    mine_or_open = or_(ReviewTask.status == "open",
                       and_(ReviewTask.status == "claimed", ReviewTask.claimed_by == identity.username))
    clauses = []
    for r in roles:
        if r["role"] == "admin":
            clauses.append(ReviewTask.status.in_(("open", "claimed")))
            continue
        school = r.get("school")
        scope = True if school is None else or_(ReviewTask.school.is_(None), ReviewTask.school == school)
        clauses.append(and_(ReviewTask.role == r["role"], scope, mine_or_open))
        supervised = [role for role, boss in domain.SUPERVISOR.items() if boss == r["role"]]
        if supervised:
            clauses.append(and_(ReviewTask.escalated_at.is_not(None), ReviewTask.role.in_(supervised),
                                ReviewTask.status.in_(("open", "claimed"))))
    return and_(or_(false(), *clauses), ReviewTask.applicant != identity.username)


def load_task(session: Session, task_id: str, identity: Identity, any_scope: bool = False) -> ReviewTask:
    """The task, locked, if the caller's roles cover it (or, with any_scope, for a supervisor)."""
    roles = reviewer_roles(identity)
    task = session.get(ReviewTask, str(task_id), with_for_update=True)
    if task is None or not (any_scope or domain.covers(roles, task)):
        abort(404, message="No such review task.")
    return task


@blp.route("")
class Queue(MethodView):
    @blp.arguments(TaskQuery, location="query")
    @blp.response(200, TaskOut(many=True), headers={"Link": {
        "description": 'rel="next": the next page, when there is one', "schema": {"type": "string"}}})
    def get(self, args: dict[str, Any]) -> Any:
        """My queue: open tasks my roles and scopes allow, unclaimed or claimed by me, soonest due first,
        `limit` at a time (default 50); a `Link` header names the next page. `overdue=true` keeps the tasks
        past their due time (`false` the others); `q` searches the applicant's name or username."""
        identity = current_identity()
        query = select(ReviewTask).where(queue_filter(identity, reviewer_roles(identity)))
        for name in ("application_id", "kind", "program_id"):
            if args.get(name):
                query = query.where(getattr(ReviewTask, name) == args[name])
        if args.get("overdue") is not None:
            now = datetime.now(UTC)
            query = query.where(ReviewTask.due_at < now if args["overdue"] else ReviewTask.due_at >= now)
        if args.get("q"):
            words = "%" + args["q"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            query = query.where(or_(ReviewTask.applicant_name.ilike(words, escape="\\"),
                                    ReviewTask.applicant.ilike(words, escape="\\")))
        if args.get("cursor"):
            at, last_id = cursors.decode(args["cursor"])
            query = query.where(or_(ReviewTask.due_at > at, and_(ReviewTask.due_at == at, ReviewTask.id > last_id)))
        limit = args["limit"]
        with ctx().sessions() as session:
            tasks = list(session.scalars(query.order_by(ReviewTask.due_at, ReviewTask.id).limit(limit + 1)))
        if len(tasks) <= limit:
            return tasks
        last = tasks[limit - 1]
        following = {**request.args.to_dict(), "cursor": cursors.encode(last.due_at, last.id)}
        return tasks[:limit], {"Link": f'<{request.path}?{urlencode(following)}>; rel="next"'}


def for_caller(task: ReviewTask, identity: Identity) -> ReviewTask:
    """The task with what the caller may do on it now (may_claim, may_decide), for pages to offer only that."""
    task.may_claim = domain.may_claim(task, identity.username, identity.roles)  # type: ignore[attr-defined]
    task.may_decide = domain.may_decide(task, identity.username, identity.roles)  # type: ignore[attr-defined]
    return task


@blp.route("/<uuid:task_id>")
class TaskItem(MethodView):
    @blp.response(200, TaskOut)
    def get(self, task_id: str) -> ReviewTask:
        """The task, with may_claim and may_decide worked out for the caller."""
        identity = current_identity()
        with ctx().sessions() as session:
            return for_caller(load_task(session, task_id, identity), identity)


@blp.route("/<uuid:task_id>/claim")
class Claim(MethodView):
    @blp.response(200, TaskOut)
    def post(self, task_id: str) -> ReviewTask:
        identity = current_identity()
        with ctx().sessions() as session, session.begin():
            task = load_task(session, task_id, identity)
            if domain.claim(task, identity.username):
                task.claimed_at = datetime.now(UTC)
                task_event(session, "review.task_claimed", task, correlation_id(), claimed_by=identity.username,
                           reassigned_by=None)
        return task


@blp.route("/<uuid:task_id>/release")
class Release(MethodView):
    @blp.response(200, TaskOut)
    def post(self, task_id: str) -> ReviewTask:
        identity = current_identity()
        with ctx().sessions() as session, session.begin():
            task = load_task(session, task_id, identity)
            domain.release(task, identity.username, identity.roles)
            task.claimed_at = None
        return task


@blp.route("/<uuid:task_id>/reassign")
class Reassign(MethodView):
    @blp.arguments(ReassignIn)
    @blp.response(200, TaskOut)
    def post(self, body: dict[str, Any], task_id: str) -> ReviewTask:
        """A supervisor (ICD officer, admin) hands the task to someone."""
        identity = current_identity()
        if not domain.is_supervisor(identity.roles):  # before the task is looked up (and locked) at all
            raise domain.Forbidden("Only a supervisor (ICD officer, admin) reassigns tasks.")
        with ctx().sessions() as session, session.begin():
            task = load_task(session, task_id, identity, any_scope=True)
            domain.reassign(task, body["username"], identity.roles)
            task.claimed_at = datetime.now(UTC)
            task_event(session, "review.task_claimed", task, correlation_id(), claimed_by=body["username"],
                       reassigned_by=identity.username)
        return task


@blp.route("/<uuid:task_id>/decision")
class Decide(MethodView):
    @blp.arguments(DecisionIn)
    @blp.response(201, DecisionOut)
    def post(self, body: dict[str, Any], task_id: str) -> Decision:
        """Approve, reject or return (comment required for the last two), naming the version reviewed; on a
        publicity level with an open objection: uphold_return, uphold_reject (comment required) or dismiss."""
        identity, now = current_identity(), datetime.now(UTC)
        with ctx().sessions() as session, session.begin():
            # Lock the case before the task, the order the event handlers use: no deadlock with a withdrawal.
            application_id = session.scalar(select(ReviewTask.application_id).where(ReviewTask.id == str(task_id)))
            case = session.get(ReviewCase, application_id, with_for_update=True) if application_id else None
            task = load_task(session, task_id, identity)
            assert case is not None
            earlier = list(session.scalars(select(Decision).where(Decision.application_id == case.application_id)))
            result = domain.decide(
                case, task, reviewer=identity.username, role=domain.acting_role(identity.roles, task),
                outcome=body["outcome"], comment=body["comment"], internal_note=body["internal_note"],
                seen_version=body["application_version"], earlier=earlier, now=now,
            )
            progression.after_decision(session, case, task, result, reviewer_name=identity.name or identity.username,
                                       comment=body["comment"], now=now, correlationid=correlation_id(),
                                       zone=ctx().settings.timezone)
        return result.decision
