"""The bus's counters (Prometheus): events published by relays, and what consumers did with each message.

Counted where it happens, in the relay and the consumer; exposed by chassis/metrics.py.
"""

from __future__ import annotations

from prometheus_client import Counter

PUBLISHED = Counter("mobility_events_published", "Events a relay published and the broker confirmed",
                    ["source", "type"])
CONSUMED = Counter("mobility_events_consumed", "Messages a consumer took: applied, or a duplicate it acked "
                   "without effect", ["queue", "type", "outcome"])
RETRIED = Counter("mobility_events_retried", "Messages sent back for a later attempt (handler failed, or the "
                  "database was down)", ["queue", "reason"])
PARKED = Counter("mobility_events_parked", "Messages parked in <queue>.dlq", ["queue"])
HANDLER_CPU = Counter("mobility_events_consumed_cpu_seconds", "CPU time the consumer's thread spent on messages "
                      "of a type, from receipt to ack (decoding, validation, the transaction, the handlers), so "
                      "that a benchmark can give the cost per event type and a regression points at its handler",
                      ["queue", "type"])
