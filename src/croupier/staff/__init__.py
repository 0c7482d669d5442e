"""Staff access to the operating API: named keys with roles (the back office builds on this)."""
