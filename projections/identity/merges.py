"""Which customers show as one: the merges in force, as SQL the read models share.

Rows keep their own customer's id; a merged customer's views read the rows of
every customer merged into them (transitively), so undoing a merge gives each
customer back exactly their own rows.
"""

from __future__ import annotations

MERGES_TABLE = (
    "CREATE TABLE IF NOT EXISTS customer_merges ("
    " merge_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, other_customer_id TEXT NOT NULL,"
    " merged_at TEXT NOT NULL, unmerged_at TEXT)"
)
MERGES_INDEX = "CREATE INDEX IF NOT EXISTS customer_merges_into ON customer_merges (customer_id)"

# The customer %(id)s and everyone merged into them, as a subquery of ids
# (UNION, not UNION ALL: a cycle from racing merges still ends).
MEMBERS = (
    "WITH RECURSIVE members(id) AS (SELECT CAST(%(id)s AS TEXT) UNION"
    " SELECT m.other_customer_id FROM customer_merges m JOIN members ON m.customer_id = members.id"
    " WHERE m.unmerged_at IS NULL) SELECT id FROM members"
)
