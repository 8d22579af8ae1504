"""/api/v1/nominations and /api/v1/partner-answers/{token}: the nomination of students to partners and the
partners' answers. Filled by a later helper; a stub until then so app.py registers every blueprint from the start."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("nominations_api", __name__, url_prefix="/api/v1", description="Nominations to partners")
