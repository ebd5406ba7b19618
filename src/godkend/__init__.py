"""godkend: approval workflows with PostgreSQL as truth and message bus."""
