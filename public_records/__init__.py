"""The public's records (hồ sơ góp ý, phản ánh của người dân): comments on drafts and the
consultations that take them, kept in a SQL database (SQLite by default, PostgreSQL by
setting), not in Temporal. The portal writes here; the worker's activities open and close a
consultation's intake and read its counts. Names and contacts stay here and never reach a
workflow's payloads (docs/portal.md)."""
