"""/api/v1/agreements: the office's register of agreements with partners (list, create, read, change with
its version, the scanned document, the EWP IIA-shaped export). Filled by helper B2; a stub until then so app.py
registers every blueprint from the start."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("agreements_api", __name__, url_prefix="/api/v1", description="The agreements with partners")
