"""Domain events: every security and money change, written in its own transaction (transactional outbox)."""
