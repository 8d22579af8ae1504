"""Mobilities service: every approved trip or stay followed to its end, one record per person: the checklist before
departure, departure, arrival, return, the report (出访报告) or summary or transcript owed after it, credit
recognition, extensions through approval, reminders and the holds on whoever is overdue."""
