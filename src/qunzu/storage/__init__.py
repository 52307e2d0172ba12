"""Storage: tables, engine set-up, unit of work and repositories (SQLite and PostgreSQL)."""
