"""Third-party game providers: registration, game tokens, and their seamless-wallet protocols."""
