"""Responsible gambling: exclusions, the national register, limits."""
