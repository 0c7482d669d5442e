"""Stand-ins for outside services, for development and tests; never used in production."""
