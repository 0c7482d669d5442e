"""Sanctions and PEP screening: publishers' lists imported with their provenance, players screened."""
