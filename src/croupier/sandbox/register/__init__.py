"""The sandbox national self-exclusion register, shaped like GAMSTOP's API (v2).

It runs as its own HTTP service (``croupier sandbox register``) so that Croupier's
register adapter talks to it exactly as it would to the real one. Answers depend on
the email address alone, so tests and developers choose them:

| the address's local part starts with | answer |
|---|---|
| ``excluded`` | ``Y``: self-excluded now |
| ``lapsed`` | ``P``: self-excluded before, no longer |
| ``outage`` | HTTP 503, as when the register is down |
| anything else | ``N``: not on the register |

``PUT /sandbox/people/{email}`` with ``{"answer": "Y"|"N"|"P"|"outage"}`` overrides
the answer for one address (a person who registers with the scheme, or leaves it,
later); ``GET /sandbox/checks`` lists the checks received (address, postcode as sent,
answer), newest last.
"""

from croupier.sandbox.register.app import RegisterConfig, create_register_app

__all__ = ["RegisterConfig", "create_register_app"]
