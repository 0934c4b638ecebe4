"""The tables of the public's records, one list for both engines (``{id}`` is the one type
that differs, ``database.SCHEMA_TYPES``). Names and contacts are in ``public_comments`` only;
nothing here is copied to a workflow."""

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS consultations (
        case_id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        agency TEXT NOT NULL,
        affected_groups TEXT NOT NULL DEFAULT '[]',
        summary TEXT NOT NULL DEFAULT '',
        closes_on TEXT,
        opened_at TEXT NOT NULL,
        closed_at TEXT
    )""",
    """CREATE TABLE IF NOT EXISTS public_comments (
        id {id},
        tracking_code TEXT NOT NULL UNIQUE,
        case_id TEXT NOT NULL REFERENCES consultations (case_id),
        article INTEGER NOT NULL,
        speaks_for TEXT NOT NULL,
        text TEXT NOT NULL,
        text_sha256 TEXT NOT NULL,
        source_key TEXT NOT NULL,
        name TEXT NOT NULL,
        contact TEXT NOT NULL,
        received_at TEXT NOT NULL,
        UNIQUE (case_id, source_key, article, text_sha256)
    )""",
    "CREATE INDEX IF NOT EXISTS public_comments_by_case ON public_comments (case_id, id)",
    # Near-identical comments (a campaign, a form letter) share a cluster, named by its
    # representative (the earliest member); assigned when the intake closes.
    """CREATE TABLE IF NOT EXISTS public_comment_clusters (
        comment_id BIGINT PRIMARY KEY REFERENCES public_comments (id),
        case_id TEXT NOT NULL,
        representative BIGINT NOT NULL
    )""",
    """CREATE INDEX IF NOT EXISTS public_comment_clusters_by_case
        ON public_comment_clusters (case_id, representative)""",
    # The drafting unit's answer to a cluster applies to each of its members.
    """CREATE TABLE IF NOT EXISTS public_dispositions (
        case_id TEXT NOT NULL,
        representative BIGINT NOT NULL,
        disposition TEXT NOT NULL,
        reason TEXT,
        by_person TEXT NOT NULL,
        decided_at TEXT NOT NULL,
        PRIMARY KEY (case_id, representative)
    )""",
)
