"""Review chains as data (/api/v1/review-chains): reviewers read them, admins make new versions. Any kind
name will do: a chain for a kind that has none is its version 1."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import abort

from chassis.app import ctx
from chassis.auth import current_identity
from chassis.blueprint import Blueprint
from services.reviews import chains, domain
from services.reviews.models import ReviewChain
from services.reviews.schemas import ChainIn, ChainOut

blp = Blueprint("review_chains", __name__, url_prefix=chains.PATH, description="Review chains")

KIND = {"in": "path", "name": "kind", "schema": {"type": "string", "pattern": domain.KIND_PATTERN}}


@blp.route("")
class Chains(MethodView):
    @blp.response(200, ChainOut(many=True))
    def get(self) -> list[ReviewChain]:
        """The current version of each kind's chain."""
        with ctx().sessions() as session:
            return chains.all_active(session)


@blp.route("/<string:kind>", parameters=[KIND])
class Chain(MethodView):
    @blp.response(200, ChainOut)
    def get(self, kind: str) -> ReviewChain:
        with ctx().sessions() as session:
            try:
                return chains.active_chain(session, kind)
            except LookupError:
                abort(404, message=f"No review chain for kind {kind}.")

    @blp.arguments(ChainIn)
    @blp.response(201, ChainOut)
    def put(self, body: dict[str, Any], kind: str) -> ReviewChain:
        """A new version of the chain (version 1 for a kind without one); applications already submitted
        keep the version they began under."""
        identity = current_identity()
        if not identity.has_role("admin"):
            abort(403, message="Only admins change review chains.")
        levels = [{k: v for k, v in level.items() if v is not None} for level in body["levels"]]
        with ctx().sessions() as session, session.begin():
            return chains.new_version(session, kind, levels, identity.username)
