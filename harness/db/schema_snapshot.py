"""Comparable schema snapshots, from the catalog (always) or from ``pg_dump --schema-only`` (optional).

A catalog snapshot lists, per section, sorted rows of text: schemas, relations, columns (type,
nullability, default), types (enum labels in their order, domains), indexes (definition and
validity), constraints (foreign keys included), functions, triggers and extensions of every
non-system schema. Objects of the runner's own bookkeeping (``_migration_history``...) are left
out, so "empty" before the first migration and "empty" after the last down compare equal.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import psycopg

from harness.infra.binaries import pg_bindir

EXCLUDED_PREFIX = "_migration_history"
_USER_NS = ("n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') "
            "AND n.nspname NOT LIKE 'pg_temp_%' AND n.nspname NOT LIKE 'pg_toast_temp_%'")

# Each query returns text columns; the first is the object's name (or its table's), used for exclusion.
_SECTIONS: dict[str, str] = {
    "schemas": f"SELECT n.nspname FROM pg_namespace n WHERE {_USER_NS}",
    "relations": f"""SELECT c.relname, n.nspname, c.relkind::text FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE {_USER_NS} AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')""",
    "columns": f"""SELECT c.relname, n.nspname,
            lpad(row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum)::text, 3, '0'), a.attname,
            format_type(a.atttypid, a.atttypmod), CASE WHEN a.attnotnull THEN 'NOT NULL' ELSE 'NULL' END,
            coalesce(pg_get_expr(d.adbin, d.adrelid), ''), a.attidentity::text, a.attgenerated::text
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE {_USER_NS} AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND a.attnum > 0 AND NOT a.attisdropped""",
    "types": f"""SELECT t.typname, n.nspname, t.typtype::text,
            CASE t.typtype
              WHEN 'e' THEN (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
                             FROM pg_enum e WHERE e.enumtypid = t.oid)
              WHEN 'd' THEN format_type(t.typbasetype, t.typtypmod) || CASE WHEN t.typnotnull THEN ' NOT NULL' ELSE '' END
              ELSE '' END
        FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE {_USER_NS} AND t.typtype IN ('e', 'd', 'r', 'm')
           OR ({_USER_NS} AND t.typtype = 'c'
               AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')""",
    "indexes": f"""SELECT t.relname, n.nspname, i.relname, pg_get_indexdef(x.indexrelid),
            CASE WHEN x.indisvalid THEN 'valid' ELSE 'INVALID' END
        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
        JOIN pg_namespace n ON n.oid = t.relnamespace WHERE {_USER_NS}""",
    "constraints": f"""SELECT coalesce(c.relname, ty.typname, ''), n.nspname, k.conname, k.contype::text,
            pg_get_constraintdef(k.oid)
        FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace
        LEFT JOIN pg_class c ON c.oid = k.conrelid LEFT JOIN pg_type ty ON ty.oid = k.contypid
        WHERE {_USER_NS}""",
    "functions": f"""SELECT p.proname, n.nspname, pg_get_function_identity_arguments(p.oid),
            pg_get_function_result(p.oid), md5(coalesce(p.prosrc, ''))
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        LEFT JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
        WHERE {_USER_NS} AND d.objid IS NULL""",
    "triggers": f"""SELECT c.relname, n.nspname, tg.tgname, pg_get_triggerdef(tg.oid)
        FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE {_USER_NS} AND NOT tg.tgisinternal""",
    "extensions": "SELECT e.extname, e.extname FROM pg_extension e WHERE e.extname <> 'plpgsql'",
}

Row = tuple[str, ...]


@dataclass(frozen=True)
class SchemaSnapshot:
    """Sorted catalog rows per section; equal snapshots mean equal schemas (bookkeeping excluded)."""

    sections: dict[str, tuple[Row, ...]] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.sections.items()}

    def rows(self, section: str) -> tuple[Row, ...]:
        return self.sections.get(section, ())

    def diff(self, other: SchemaSnapshot) -> list[str]:
        """Lines ``- section: row`` (only in self) and ``+ section: row`` (only in other); empty if equal."""
        out: list[str] = []
        for name in sorted(set(self.sections) | set(other.sections)):
            mine, theirs = set(self.rows(name)), set(other.rows(name))
            out += [f"- {name}: {' | '.join(r)}" for r in sorted(mine - theirs)]
            out += [f"+ {name}: {' | '.join(r)}" for r in sorted(theirs - mine)]
        return out

    def enum_labels(self) -> dict[str, list[str]]:
        return {f"{r[1]}.{r[0]}": r[3].split(",") for r in self.rows("types") if r[2] == "e"}

    def table_names(self) -> set[str]:
        return {r[0] for r in self.rows("relations") if r[2] in ("r", "p")}

    def to_json(self) -> dict[str, list[list[str]]]:
        return {name: [list(r) for r in rows] for name, rows in self.sections.items()}


def snapshot(conn: psycopg.Connection[tuple[object, ...]], *, exclude_prefix: str = EXCLUDED_PREFIX) -> SchemaSnapshot:
    """Catalog snapshot of every user schema; objects whose name (or table's name) starts with the prefix are left out."""
    sections: dict[str, tuple[Row, ...]] = {}
    for name, query in _SECTIONS.items():
        rows = conn.execute(query.encode()).fetchall()
        kept = [tuple("" if v is None else str(v) for v in row) for row in rows]
        sections[name] = tuple(sorted(r for r in kept if not _excluded(r, exclude_prefix)))
    return SchemaSnapshot(sections)


def _excluded(row: Row, prefix: str) -> bool:
    # Column 0 is the object or its table; index/constraint/trigger names sit in column 2.
    return row[0].startswith(prefix) or (len(row) > 2 and row[2].startswith(prefix))


_RESTRICT = re.compile(r"^\\(un)?restrict\b.*$\n?", re.MULTILINE)
_BLOCK_HEADER = re.compile(r"^--\n-- (?:Name: |PostgreSQL database dump complete)", re.MULTILINE)


def dump_schema(url: str, *, exclude_prefix: str = EXCLUDED_PREFIX, timeout_s: float = 60) -> str:
    """``pg_dump --schema-only`` (server-matching binary), normalised so two dumps of one schema are equal.

    Strips the random ``\\restrict``/``\\unrestrict`` keys (PG >= 15.14) and the runner's bookkeeping
    objects. The password travels in PGPASSWORD, never on the command line.
    """
    parts = urlsplit(url)
    env = dict(os.environ)
    if parts.password:
        env["PGPASSWORD"] = parts.password
        host = parts.hostname or ""
        netloc = f"{parts.username}@{host}" + (f":{parts.port}" if parts.port else "")
        url = urlunsplit(parts._replace(netloc=netloc))
    cmd = [str(pg_bindir() / "pg_dump"), "--schema-only", "--no-owner", "--no-privileges", "--dbname", url]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout_s, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"pg_dump --schema-only failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")
    return normalize_dump(done.stdout, exclude_prefix)


def normalize_dump(text: str, exclude_prefix: str = EXCLUDED_PREFIX) -> str:
    """Drop ``\\restrict`` lines and every ``-- Name: <prefix>...`` block."""
    text = _RESTRICT.sub("", text)
    starts = [m.start() for m in _BLOCK_HEADER.finditer(text)]
    if not starts:
        return text
    kept = [text[: starts[0]]]
    for begin, end in zip(starts, [*starts[1:], len(text)]):
        block = text[begin:end]
        if not block[len("--\n-- Name: "):].startswith(exclude_prefix):
            kept.append(block)
    return "".join(kept)
