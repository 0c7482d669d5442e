"""The national self-exclusion register (GAMSTOP's API shape), asked at registration and sign-in."""
