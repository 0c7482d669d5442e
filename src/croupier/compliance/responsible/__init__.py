"""Responsible gambling: player-set limits, reality checks and markers of harm, in the money paths;
and in ``exclusions/`` time-outs, self-exclusions and the national self-exclusion register's
blocks, enforced in the money paths through ``exclusions.gate``.
"""
