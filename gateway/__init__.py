"""The gateway: the only public entrypoint. Identity, tokens, routing to the services (later: the web UI)."""
