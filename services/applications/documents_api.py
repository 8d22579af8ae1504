"""HTTP resources for an application's documents (behind the gateway at /api/v1/applications/{id}/documents).

Upload: the applicant, while the application is editable, multipart field `file` plus `doc_type`.
List and download: the applicant and the reviewers in scope. Downloads are attachments with nosniff.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from flask import request
from flask.views import MethodView
from flask_smorest import abort
from sqlalchemy import select

from chassis import uploads as documents
from chassis.app import ctx
from chassis.auth import current_identity
from chassis.blueprint import Blueprint
from services.applications import domain
from services.applications.api import count_documents, load_own, load_readable
from services.applications.models import Document
from services.applications.schemas import DocumentOut, DocumentUpload

blp = Blueprint("documents", __name__, url_prefix="/api/v1/applications", description="Application documents")

# The upload as the server reads it: a multipart body with both parts required. DocumentUpload parses the
# form part; the file part is read from request.files, so the document states it here.
UPLOAD_BODY = {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file", "doc_type"], "additionalProperties": False,
    "properties": {
        "file": {"type": "string", "format": "binary",
                 "description": "PDF, PNG or JPEG, recognised by its content; size-capped"},
        "doc_type": {"type": "string", "minLength": 1,
                     "description": "one of the application's kind's document types (GET /api/v1/kinds)"},
    },
}}}}


@blp.route("/<uuid:application_id>/documents")
class Documents(MethodView):
    @blp.response(200, DocumentOut(many=True))
    def get(self, application_id: str) -> list[Document]:
        with ctx().sessions() as session:
            load_readable(session, application_id)
            query = select(Document).where(Document.application_id == str(application_id))
            return list(session.scalars(query.order_by(Document.created_at)))

    @blp.arguments(DocumentUpload, location="form", content_type="multipart/form-data")
    @blp.doc(requestBody=UPLOAD_BODY)
    @blp.response(201, DocumentOut)
    def post(self, form: dict[str, Any], application_id: str) -> Document:
        """Upload one file (PDF, PNG or JPEG by content; size-capped) as multipart field `file`."""
        settings = ctx().settings
        upload = request.files.get("file")
        if upload is None:
            abort(422, message="Attach the file as multipart field 'file'.", errors={"file": ["Missing file."]})
        document_id = str(uuid.uuid4())
        try:
            return self._store(form, application_id, upload, document_id)
        except BaseException:
            documents.remove(settings.documents_dir, document_id)  # no file without its row
            raise

    def _store(self, form: dict[str, Any], application_id: str, upload: Any, document_id: str) -> Document:
        settings = ctx().settings
        with ctx().sessions() as session, session.begin():
            application = load_own(session, application_id)
            domain.ensure_editable(application, "get new documents")
            kind = domain.kind_of(application.kind)
            if form["doc_type"] not in kind.document_types:
                abort(422, message="Unknown document type for this kind.",
                      errors={"doc_type": [f"One of: {', '.join(kind.document_types)}."]})
            if count_documents(session, application.id) >= settings.max_documents_per_application:
                abort(409, message=f"An application holds at most {settings.max_documents_per_application} documents.")
            stored = documents.store(upload.stream, settings.documents_dir, document_id, settings.max_upload_bytes)
            document = Document(
                id=document_id, application_id=application.id, doc_type=form["doc_type"],
                filename=documents.clean_filename(upload.filename, stored.content_type, form["doc_type"]),
                content_type=stored.content_type, size=stored.size, sha256=stored.sha256,
                uploaded_by=current_identity().username, created_at=datetime.now(UTC),
            )
            session.add(document)
            application.updated_at = document.created_at  # reconcilers polling modified_since see it
        return document


@blp.route("/<uuid:application_id>/documents/<uuid:document_id>")
class DocumentFile(MethodView):
    @blp.response(200, description="the file, as an attachment")
    def get(self, application_id: str, document_id: str) -> Any:
        with ctx().sessions() as session:
            load_readable(session, application_id)
            document = session.get(Document, str(document_id))
            if document is None or document.application_id != str(application_id):
                abort(404, message="No such document.")
        return documents.attachment(ctx().settings.documents_dir, document.id, document.content_type,
                                    document.filename, "The document's file is missing; the office has been told.")

    @blp.response(204)
    def delete(self, application_id: str, document_id: str) -> None:
        """Remove a wrong upload, while the application is still editable (draft or changes_requested)."""
        settings = ctx().settings
        with ctx().sessions() as session, session.begin():
            application = load_own(session, application_id)
            domain.ensure_editable(application, "lose documents")
            document = session.get(Document, str(document_id))
            if document is None or document.application_id != application.id:
                abort(404, message="No such document.")
            session.delete(document)
            application.updated_at = datetime.now(UTC)
        documents.remove(settings.documents_dir, str(document_id))  # after the commit: never a row without its file
