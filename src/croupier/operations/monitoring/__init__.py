"""Monitoring: the periodic integrity checks (books, audit chain) and their record, and the
figures kept in the database sampled into Prometheus gauges."""
