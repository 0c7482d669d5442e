"""Sanctions and PEP screening: the publishers' lists, imported with their provenance, and players screened against them."""
