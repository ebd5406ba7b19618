"""Integration tests: the core service against a real PostgreSQL."""
