"""The demo's passports in the office's custody: the passport clerk enters the staff group's passports and permits
through the passports API (numbers obviously fake: DEMO…), one of them expiring soon, and hands a passport out for
any of their trips the rules let go out today (an approved trip ahead, within the hand-out window). Called by
demo_history.record right after the year's records were followed (demo_after); a passport already in the register
is left as it is."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from mobility.demo_after import Api, _ok

CLERK = "passport.clerk"
# (holder, staff number, account, type, number, expires in days from today, where it is kept): the members of
# last year's group trip (demo_history.group_trip); 李伟 is prof.li.
PASSPORTS = [
    ("李伟", "T20081", "prof.li", "official_passport", "DEMO00081", 6 * 365, "Safe 1, drawer 1"),
    ("李伟", "T20081", "prof.li", "hk_macao_permit", "DEMOHK1081", 3 * 365, "Safe 1, drawer 1"),
    ("王芳", "T20112", None, "official_passport", "DEMO00112", 75, "Safe 1, drawer 2"),  # expiring soon
    ("陈晨", "T20307", None, "official_passport", "DEMO00307", 4 * 365, "Safe 1, drawer 3"),
]


def seed(api: Api, today: date) -> int:
    """Enter the demo's passports that are not in the register yet and hand out those with a trip to go on;
    returns how many passports were entered."""
    entered = 0
    for holder, staff_number, username, kind, number, days, kept_at in PASSPORTS:
        response = api.call(CLERK, "POST", "/api/v1/passports", json={
            "holder_name": holder, "staff_number": staff_number, "holder_username": username, "school": "cs",
            "type": kind, "number": number, "issued_on": str(today - timedelta(days=3 * 365)),
            "expires_on": str(today + timedelta(days=days)), "kept_at": kept_at})
        if response.status_code == 409:  # entered before: this type's number is in the register
            continue
        _hand_out(api, _ok(response, f"enter {holder}'s {kind}"), holder)
        entered += 1
    return entered


def _hand_out(api: Api, passport: dict[str, Any], holder: str) -> None:
    """Out for the first of the holder's trips it may go out for today (the clerk's page lists them)."""
    trip = next((t for t in passport.get("trips", []) if t["can_hand_out"]), None)
    if trip is not None and passport["type"] == "official_passport":
        _ok(api.call(CLERK, "POST", f"/api/v1/passports/{passport['id']}/handouts",
                     json={"mobility_id": trip["mobility_id"], "handed_to": holder}), f"hand out {holder}'s passport")
