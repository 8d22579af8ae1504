"""/api/v1/selection-rounds: open a program's selection round, its ranking, the hand-entered scores and the
allocation runs. Filled by helper C; a stub until then so app.py registers every blueprint from the start."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("rounds_api", __name__, url_prefix="/api/v1", description="Selection rounds")
