"""HTTP resources for applications (behind the gateway at /api/v1/applications).

Changes name the version they saw (If-Match: "<version>" or a "version" field); responses carry
ETag: "<version>". The version is the content's: only the applicant's edits move it. Someone else's
application is "not found": its existence is not disclosed. The views load, call domain, publish: the rules
are domain's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Flask, request
from flask.views import MethodView
from flask_smorest import abort
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from chassis import cursors
from chassis import uploads as documents
from chassis.app import ctx
from chassis.auth import current_identity
from chassis.blueprint import Blueprint
from chassis.errors import problem
from chassis.tracing import correlation_id
from eventbus import outbox
from services.applications import access, domain, facts
from services.applications.events import application_event
from services.applications.kinds import Kind
from services.applications.models import Application, Document, HistoryEntry, Program
from services.applications.schemas import (
    ApplicationCreate,
    ApplicationOut,
    ApplicationPage,
    ApplicationPatch,
    Change,
    HistoryOut,
    ListQuery,
)
from services.applications.submissions import snapshot

blp = Blueprint("applications", __name__, url_prefix="/api/v1/applications", description="Applications")


def register_domain_errors(app: Flask) -> None:
    """The domain's refusals as problems, for every blueprint of the service."""
    app.register_error_handler(StaleDataError, lambda exc: problem(
        409, "Conflict", "The application changed while you were changing it; reload it and try again."))
    app.register_error_handler(domain.FormInvalid, lambda exc: problem(
        422, "Unprocessable Entity", "The form has invalid fields; see errors.", errors=exc.errors))
    for conflict in (domain.TransitionError, domain.VersionConflict, domain.WindowClosed):
        app.register_error_handler(conflict, lambda exc: problem(409, "Conflict", str(exc)))
    app.register_error_handler(documents.TooLarge, lambda exc: problem(413, "Content Too Large", str(exc)))
    app.register_error_handler(documents.UnsupportedType,
                               lambda exc: problem(415, "Unsupported Media Type", str(exc)))


def load_readable(session: Session, application_id: str, for_update: bool = False) -> Application:
    application = session.get(Application, str(application_id), with_for_update=for_update or None)
    if application is None or not access.can_read(current_identity(), application):
        abort(404, message="No such application.")
    return application


def load_own(session: Session, application_id: str) -> Application:
    """The caller's own application, locked for the change (two concurrent changes: one wins, one 409s)."""
    application = load_readable(session, application_id, for_update=True)
    if not access.is_owner(current_identity(), application):
        abort(403, message="Only the applicant can change an application.")
    return application


def seen_version(body: dict[str, Any] | None) -> int | None:
    header = request.headers.get("If-Match", "").strip().removeprefix("W/").strip('"')
    if header.isdigit():
        return int(header)
    return (body or {}).get("version")


def _program(session: Session, program_id: str | None, kind: str) -> Program | None:
    needs = domain.kind_of(kind).needs_program
    if program_id is None:
        if needs:
            raise domain.FormInvalid({"program_id": ["A program is required for this kind."]})
        return None
    if not needs:
        raise domain.FormInvalid({"program_id": ["This kind is not filed under a program."]})
    program = session.get(Program, program_id)
    if program is None or program.kind != kind:
        raise domain.FormInvalid({"program_id": ["No such program for this kind."]})
    return program


def _etag(application: Application) -> dict[str, str]:
    return {"ETag": f'"{application.version}"'}


def reference_for(session: Session, kind: Kind, school: str, form: dict[str, Any]) -> Any:
    """The office's reference data the kind's rules read (rule tables, allowances, calendar, plan), or None."""
    return kind.reference(session, school, form) if kind.reference is not None else None


def _publish(session: Session, event_type: str, application: Application, **extra: Any) -> None:
    outbox.add(session, application_event(event_type, application, application.program,
                                          correlationid=correlation_id(), **extra))


def _after(query: Any, cursor: str | None) -> Any:
    """The rows after the keyset cursor (newest change first, the id breaking ties)."""
    if not cursor:
        return query
    at, last_id = cursors.decode(cursor)
    return query.where(or_(Application.updated_at < at, and_(Application.updated_at == at, Application.id < last_id)))


def _matching(words: str | None, year: int | None) -> Callable[[Application], bool] | None:
    """The search and the academic year, which SQL cannot see: the partner and the year are the mobility facts
    the statistics count (facts.py), worked out from the form as the statistics do. None: keep every row."""
    if not words and year is None:
        return None
    needle = (words or "").casefold()

    def keep(application: Application) -> bool:
        mobility = facts.mobility_facts(application.kind, application.form or {}, application.program)
        if year is not None and mobility["academic_year"] != year:
            return False
        names = [application.applicant_name, application.applicant, application.title, mobility["partner_name"] or "",
                 *domain.titles_of(application.kind, application.form or {}, application.program).values()]
        return any(needle in name.casefold() for name in names)

    return keep


SCAN = 500  # rows read per round while searching: a search reads on until its page is full


def _scan(session: Session, query: Any, cursor: str | None, wanted: int,
          keep: Callable[[Application], bool] | None) -> list[Application]:
    """Up to `wanted` rows after the cursor that `keep` keeps, in the query's (keyset) order. A page of a search
    ends at its last kept row, so the next page's cursor continues right after it and skips nothing."""
    if keep is None:
        return list(session.scalars(_after(query, cursor).limit(wanted)))
    kept: list[Application] = []
    while True:
        rows = list(session.scalars(_after(query, cursor).limit(SCAN)))
        kept.extend(row for row in rows if keep(row))
        if len(kept) >= wanted or len(rows) < SCAN:
            return kept[:wanted]
        cursor = cursors.encode(rows[-1].updated_at, rows[-1].id)


@blp.route("")
class Applications(MethodView):
    @blp.arguments(ListQuery, location="query")
    @blp.response(200, ApplicationPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """My applications (`view=mine`), or those in my review scope (`view=review`), newest change first."""
        identity = current_identity()
        query = select(Application)
        if args["view"] == "mine":
            query = query.where(Application.applicant == identity.username)
        else:
            everywhere, schools = access.review_scope(identity)
            if not (everywhere or schools):
                abort(403, message="Only reviewers have a review view.")
            query = query.where(Application.status != "draft")
            if not everywhere:
                query = query.where(Application.school.in_(sorted(schools)))
        for name in ("kind", "status", "school", "program_id"):
            if args.get(name):
                query = query.where(getattr(Application, name) == args[name])
        if args.get("submitted_from"):
            query = query.where(Application.submitted_at >= args["submitted_from"])
        if args.get("submitted_to"):
            query = query.where(Application.submitted_at < args["submitted_to"])
        if args.get("modified_since"):
            query = query.where(Application.updated_at > args["modified_since"])
        limit = args["limit"]
        query = query.order_by(Application.updated_at.desc(), Application.id.desc())
        keep = _matching(args.get("q"), args.get("academic_year"))
        with ctx().sessions() as session:
            items = _scan(session, query, args.get("cursor"), limit + 1, keep)
        more = len(items) > limit
        items = items[:limit]
        return {"items": items, "next_cursor": cursors.encode(items[-1].updated_at, items[-1].id) if more else None}

    @blp.arguments(ApplicationCreate)
    @blp.response(201, ApplicationOut)
    def post(self, body: dict[str, Any]) -> Any:
        """Create a draft. The form may be incomplete; what is there must be valid."""
        identity = current_identity()
        kind = domain.kind_of(body["kind"])
        if not access.may_file(identity, kind.filed_by):
            abort(403, message=f"Your roles cannot file a {kind.name} application.")
        if not identity.school:
            abort(422, message="Your account has no school.", errors={"school": ["missing on the account"]})
        now = datetime.now(UTC)
        with ctx().sessions() as session, session.begin():
            program = _program(session, body["program_id"], kind.name)
            form = domain.validate_form(kind, body["form"], program, now.date(), complete=False,
                                        reference=reference_for(session, kind, identity.school, body["form"]))
            application, history = domain.new_draft(
                kind=kind.name, applicant=identity.username, applicant_name=identity.name or identity.username,
                applicant_email=identity.email or "", school=identity.school, locale=identity.locale,
                program=program, form=form, now=now,
            )
            session.add(application)
            session.flush()
            session.add(history)
        return application, _etag(application)


@blp.route("/<uuid:application_id>")
class ApplicationItem(MethodView):
    @blp.response(200, ApplicationOut)
    def get(self, application_id: str) -> Any:
        with ctx().sessions() as session:
            application = load_readable(session, application_id)
        return application, _etag(application)

    @blp.arguments(ApplicationPatch)
    @blp.response(200, ApplicationOut)
    def patch(self, body: dict[str, Any], application_id: str) -> Any:
        """Change the form (fields given replace, null removes) or the program; only in draft or
        changes_requested, and only from the version you saw."""
        now = datetime.now(UTC)
        with ctx().sessions() as session, session.begin():
            application = load_own(session, application_id)
            domain.check_version(application, seen_version(body))
            domain.ensure_editable(application)  # before the form's 422s: a locked application is a 409
            merged = {k: v for k, v in {**application.form, **body.get("form", {})}.items() if v is not None}
            program_id = body["program_id"] if "program_id" in body else application.program_id
            program = _program(session, program_id, application.kind)
            kind = domain.kind_of(application.kind)
            form = domain.validate_form(kind, merged, program, now.date(), complete=False,
                                        reference=reference_for(session, kind, application.school, merged))
            domain.edit(application, form, program, now)
        return application, _etag(application)


@blp.route("/<uuid:application_id>/submit")
class Submit(MethodView):
    @blp.arguments(Change, required=False)
    @blp.response(200, ApplicationOut)
    def post(self, body: dict[str, Any], application_id: str) -> Any:
        """Submit a draft, or resubmit after changes were requested: the whole form must be valid, the
        required documents there, and the program's window open."""
        now = datetime.now(UTC)
        with ctx().sessions() as session, session.begin():
            application = load_own(session, application_id)
            domain.check_version(application, seen_version(body))
            kind = domain.kind_of(application.kind)
            reference = reference_for(session, kind, application.school, application.form)
            history, event_type = domain.submit(
                application, application.program, _document_types(session, application),
                actor=current_identity().username, now=now, comment=(body or {}).get("comment"), reference=reference)
            session.add(history)
            session.add(snapshot(session, application, now))  # for the next round's "what changed"
            _publish(session, event_type, application, submitted_at=now, **domain.announced(kind, application.form,
                                                                                            reference))
        return application, _etag(application)


def _document_types(session: Session, application: Application) -> set[str]:
    if not domain.kind_of(application.kind).required_documents:  # none needed: no query (a sixth of a
        return set()                                             # submission's CPU)
    return set(session.scalars(select(Document.doc_type).where(Document.application_id == application.id)))


@blp.route("/<uuid:application_id>/withdraw")
class Withdraw(MethodView):
    @blp.arguments(Change, required=False)
    @blp.response(200, ApplicationOut)
    def post(self, body: dict[str, Any], application_id: str) -> Any:
        """Withdraw from any state that is not final."""
        now = datetime.now(UTC)
        with ctx().sessions() as session, session.begin():
            application = load_own(session, application_id)
            domain.check_version(application, seen_version(body))
            before = application.status
            session.add(domain.transition(application, "withdrawn", actor=current_identity().username, now=now,
                                          comment=(body or {}).get("comment")))
            if application.submitted_at is not None:  # a draft nobody else has heard of is withdrawn quietly
                _publish(session, "application.withdrawn", application, withdrawn_at=now, previous_status=before)
        return application, _etag(application)


@blp.route("/<uuid:application_id>/history")
class History(MethodView):
    @blp.response(200, HistoryOut(many=True))
    def get(self, application_id: str) -> list[HistoryEntry]:
        """Every status change: who, when, from → to, the content version at that step, and the comment."""
        with ctx().sessions() as session:
            load_readable(session, application_id)
            query = select(HistoryEntry).where(HistoryEntry.application_id == str(application_id))
            return list(session.scalars(query.order_by(HistoryEntry.id)))


def count_documents(session: Session, application_id: str) -> int:
    return int(session.scalar(select(func.count()).where(Document.application_id == application_id)) or 0)
