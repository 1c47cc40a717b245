"""Index facts from the catalog and from query plans, matched by columns, never by index names.

- ``indexes_on`` / ``leading_with``: indexes of a table with their column lists (pg_index + pg_attribute).
- ``unindexed_foreign_keys``: foreign keys with no valid, non-partial index whose leading columns
  are exactly the key's columns (the fk_no_index check of pgx_scripts / splinter 0001).
- ``explain`` / ``index_nodes``: ``EXPLAIN (ANALYZE, FORMAT JSON)`` and the index-using nodes of the
  plan tree (for a bitmap plan the index name sits on the child ``Bitmap Index Scan`` node).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

INDEX_NODE_TYPES = ("Index Scan", "Index Only Scan", "Bitmap Index Scan")


@dataclass(frozen=True)
class IndexInfo:
    name: str
    table: str
    columns: tuple[str, ...]  # expression columns appear as their expression text
    valid: bool
    unique: bool
    primary: bool
    partial: bool
    definition: str

    def as_row(self) -> dict[str, object]:
        return {"index": self.name, "table": self.table, "columns": ", ".join(self.columns), "valid": self.valid,
                "unique": self.unique, "partial": self.partial}


_INDEXES = """
SELECT i.relname, t.relname, x.indisvalid, x.indisunique, x.indisprimary, x.indpred IS NOT NULL,
       pg_get_indexdef(x.indexrelid),
       ARRAY(SELECT pg_get_indexdef(x.indexrelid, k, true) FROM generate_series(1, x.indnkeyatts) AS k ORDER BY k)
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = %s AND t.relname = %s
ORDER BY i.relname
"""


def _unquote(column: str) -> str:
    # pg_get_indexdef quotes mixed-case names ("sessionId"); compare with the plain attribute name.
    return column[1:-1].replace('""', '"') if column.startswith('"') and column.endswith('"') else column


def indexes_on(conn: psycopg.Connection[Any], table: str, schema: str = "public") -> list[IndexInfo]:
    rows = conn.execute(_INDEXES, (schema, table)).fetchall()
    return [IndexInfo(r[0], r[1], tuple(_unquote(c) for c in r[7]), r[2], r[3], r[4], r[5], r[6]) for r in rows]


def leading_with(conn: psycopg.Connection[Any], table: str, column: str, schema: str = "public") -> list[IndexInfo]:
    """Indexes of ``table`` whose first key column is ``column`` (valid or not: callers check validity)."""
    return [i for i in indexes_on(conn, table, schema) if i.columns[:1] == (column,)]


FK_WITHOUT_INDEX = """
SELECT n.nspname, c.conrelid::regclass::text AS table_name, c.conname,
       ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY k.ord) AS columns,
       c.confrelid::regclass::text AS references
FROM pg_constraint c
JOIN pg_namespace n ON n.oid = c.connamespace
WHERE c.contype = 'f'
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND NOT EXISTS (
      SELECT 1 FROM pg_index x
      WHERE x.indrelid = c.conrelid AND x.indisvalid AND x.indpred IS NULL
        AND (x.indkey::int2[])[0:cardinality(c.conkey) - 1] @> c.conkey
        AND (x.indkey::int2[])[0:cardinality(c.conkey) - 1] <@ c.conkey)
ORDER BY 2, 3
"""


def unindexed_foreign_keys(conn: psycopg.Connection[Any]) -> list[dict[str, object]]:
    """Foreign keys whose referencing columns no index leads with (empty list: all covered)."""
    cur = conn.execute(FK_WITHOUT_INDEX)
    names = [d.name for d in cur.description or []]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def foreign_keys(conn: psycopg.Connection[Any]) -> list[dict[str, object]]:
    """Every foreign key of the user schemas (for evidence next to ``unindexed_foreign_keys``)."""
    cur = conn.execute("""
        SELECT c.conrelid::regclass::text AS table_name, c.conname, pg_get_constraintdef(c.oid) AS definition
        FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
        WHERE c.contype = 'f' AND n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2""")
    names = [d.name for d in cur.description or []]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def explain(conn: psycopg.Connection[Any], query: str, params: Sequence[object] = ()) -> dict[str, Any]:
    """The top-level object of ``EXPLAIN (ANALYZE, FORMAT JSON)`` (keys "Plan", "Execution Time", ...)."""
    statement = sql.SQL("EXPLAIN (ANALYZE, FORMAT JSON) ") + sql.SQL(query)
    row = conn.execute(statement, params).fetchone()
    assert row is not None
    document = row[0]
    top: dict[str, Any] = document[0]
    return top


def walk(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every node of a plan tree, depth first (the node itself, then its ``Plans``)."""
    yield plan
    for child in plan.get("Plans", []):
        yield from walk(child)


def index_nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Nodes that read an index: node type, index name, relation (if shown), rows."""
    return [{"node": n["Node Type"], "index": n.get("Index Name"), "relation": n.get("Relation Name"),
             "direction": n.get("Scan Direction"), "actual_rows": n.get("Actual Rows")}
            for n in walk(plan) if n.get("Node Type") in INDEX_NODE_TYPES]


def node_summary(plan: dict[str, Any], depth: int = 0) -> list[str]:
    """A readable outline of the plan tree for evidence."""
    label = plan.get("Node Type", "?")
    extra = [f"{k}={plan[k]}" for k in ("Index Name", "Relation Name", "Scan Direction", "Actual Rows") if k in plan]
    lines = ["  " * depth + f"{label} " + " ".join(extra)]
    for child in plan.get("Plans", []):
        lines += node_summary(child, depth + 1)
    return lines
