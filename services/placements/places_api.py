"""/api/v1/places: how many students of a program each partner takes (placeholder until the body lands)."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("places_api", __name__, url_prefix="/api/v1", description="Places at partners per program")
