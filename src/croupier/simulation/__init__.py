"""A population of honest players and fraudsters that drives the real HTTP API.

``croupier simulate`` plans a population from a seed (``population``), plays each
actor's script against a served Croupier and its payment provider (``actors``,
``runner``), and writes the ground truth: which player is honest and which was
used for which typology. ``croupier risk evaluate`` compares it with the alerts.
"""
