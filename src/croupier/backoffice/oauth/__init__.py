"""OAuth 2.0 authorization server for machine clients: client credentials, revocation, introspection."""
