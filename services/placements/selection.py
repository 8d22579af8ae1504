"""The selection's public face for the modules and tests that call it as one: each name lives in the module of
its job — rounds.py (the round, its status sets, its academic year), scores.py (the cells and the ranking),
allocation_runs.py (the runs and the offers they make), offers.py (offer rows, locks and events),
offer_changes.py (answers and the paths that free a place), offer_lapses.py (the lapse). New code imports those.
"""

from __future__ import annotations

from services.placements.allocation_runs import REASONS, last_run, run_allocation
from services.placements.offer_changes import answer, candidate_withdrawn, place_freed
from services.placements.offer_lapses import lapse
from services.placements.offers import LEFT_THE_ROUND, offer_data, offers_of, partner_country
from services.placements.rounds import (
                                        NOT_CLOSED,
                                        RUNNABLE,
                                        SCORABLE,
                                        SYSTEM,
                                        academic_year,
                                        academic_year_of_term,
                                        candidates_of,
                                        close_round,
                                        get_round,
                                        open_round,
                                        program_of,
)
from services.placements.scores import Cell, cells, enter_scores, ranked

__all__ = ["LEFT_THE_ROUND", "NOT_CLOSED", "REASONS", "RUNNABLE", "SCORABLE", "SYSTEM", "Cell", "academic_year",
           "academic_year_of_term", "answer", "candidate_withdrawn", "candidates_of", "cells", "close_round",
           "enter_scores", "get_round", "lapse", "last_run", "offer_data", "offers_of", "open_round",
           "partner_country", "place_freed", "program_of", "ranked", "run_allocation"]
