"""Croupier: a security-first online casino backend."""

__version__ = "0.1.0"
