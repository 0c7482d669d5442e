"""Rules that protect players and the house before money moves: the pre-bet check."""
