"""The `mobility` command and the embedded (one-process) topology."""
