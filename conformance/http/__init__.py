"""The one request path: transport, rate limit, redaction, the target, the write guard, the ledger, the witness."""
