"""The back office: what staff do across the domains, starting with four-eyes approvals."""
