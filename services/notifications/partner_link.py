"""The partner's answer link, minted here when the e-mail to the partner's contact is rendered.

nomination.link_issued carries the nomination's id and its single-use nonce, never the link: the bus is read by
other consumers too (docs/integration.md), and a link answers a nomination without an account. Notifications
mounts the same keyring as placements (settings `partner_link_keys_file`, read-only) and signs the two here
(chassis/signed_links.py), so the credential exists only in the mail itself (and the e-mail row that sends it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chassis import signed_links

EVENT = "nomination.link_issued"


def with_link(data: dict[str, Any], public_base_url: str, keys_file: Path) -> dict[str, Any]:
    """The event's data with `link_url` for the text (the template's link); the event's own data is unchanged."""
    keyring = signed_links.load_keyring(keys_file)
    url = signed_links.partner_answer_url(public_base_url, keyring, str(data["nomination_id"]),
                                          str(data["link_nonce"]))
    return {**data, "link_url": url}
