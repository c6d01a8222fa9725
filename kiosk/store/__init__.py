"""Where the clinic's data lives: the schema and its migrations (schema.py), the SQLite store of one PC (sqlite.py), the
PostgreSQL store of a clinic server (postgres.py), backups (backup.py) and the choice between them from the settings
(opening.py). Nothing here knows the use cases above it."""
