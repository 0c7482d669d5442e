"""Time-outs, self-exclusions and the national register's verdicts (UKGC RTS 12 and 13, LCCP SR 3.5.3)."""
