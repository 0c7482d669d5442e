"""The partner reporting API: aggregates only, for OAuth clients with a reports scope."""
