"""Croupier's in-house games: the provably fair random stream and pure game engines.

Nothing here touches a database, the network or the clock: a round is a function
of the bet, the player's actions and the seeded stream, so anyone holding the
revealed seeds can recompute it (``verify.verify_round``).
"""
