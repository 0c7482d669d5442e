"""Regulator reports: gross gaming revenue, player activity, responsible-gambling
interventions and large transactions, per gaming day, as CSV or JSON."""
