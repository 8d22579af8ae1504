"""/api/v1/offers: the places offered to students and their answers (accept, decline). Filled by a later
helper; a stub until then so app.py registers every blueprint from the start."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("offers_api", __name__, url_prefix="/api/v1", description="Offers of places")
