"""Level types, one registry: a chain level's "type" names how it is validated, how its task opens, who may
act on it, which outcomes it accepts and what each does. Adding a type is one module and one entry in TYPES.
"""

from __future__ import annotations

from typing import Any

from services.reviews.errors import Invalid
from services.reviews.levels.base import Act, LevelType, Outcome
from services.reviews.levels.decision import DecisionLevel
from services.reviews.levels.publicity import PublicityLevel
from services.reviews.models import ReviewTask

DEFAULT = "decision"  # chains stored before levels had a type are decision levels
TYPES: dict[str, LevelType] = {t.name: t for t in (DecisionLevel(), PublicityLevel())}

__all__ = ["DEFAULT", "TYPES", "Act", "LevelType", "Outcome", "of_level", "of_task"]


def of_level(level: dict[str, Any]) -> LevelType:
    name = level.get("type", DEFAULT)
    if name not in TYPES:
        raise Invalid("levels", f"Unknown level type {name!r}; known: {', '.join(TYPES)}.")
    return TYPES[name]


def of_task(task: ReviewTask) -> LevelType:
    return TYPES[task.type or DEFAULT]
