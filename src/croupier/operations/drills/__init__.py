"""Drills: each starts real processes on loopback, puts them under load, breaks something, and
reports what a user would have seen (failed requests, acknowledged work lost, time to recover).

Every drill returns a ``DrillReport``; a broken promise is a line in ``broken`` and makes the
command exit 1. ``croupier drill monthly`` runs them all and writes one dated report.
"""
