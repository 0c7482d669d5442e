"""The back office: what staff and partners use to run the casino."""
