"""Rate limits on login, submission, upload and the public verification page, with the `limits` library
(moving windows).

The storage is a setting: `memory://` for one process (embedded), `redis://...` so that every gunicorn
worker and gateway replica counts against one shared window.
"""

from __future__ import annotations

import time

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

from chassis.settings import Settings


class RateLimits:
    def __init__(self, settings: Settings) -> None:
        self.limiter = MovingWindowRateLimiter(storage_from_string(settings.rate_limit_storage))
        self.limits = {
            "login": parse(settings.rate_limit_login),
            "submit": parse(settings.rate_limit_submit),
            "upload": parse(settings.rate_limit_upload),
            "verify": parse(settings.rate_limit_verify),
        }

    def hit(self, name: str, key: str) -> None:
        """Count one request of `name` by `key` (an address or a user); raise 429 once over the limit."""
        limit = self.limits[name]
        if not self.limiter.hit(limit, name, key):
            retry_after = max(1, int(self.limiter.get_window_stats(limit, name, key).reset_time - time.time()) + 1)
            raise TooManyRequests("Too many requests; try again later.", retry_after=retry_after)
