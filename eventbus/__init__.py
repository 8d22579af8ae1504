"""The event contract and its plumbing: envelope, catalog, outbox, relay, inbox, consumer, topology."""
