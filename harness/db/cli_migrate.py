"""``python -m harness migrate up|down|status|history``: the runner from the command line.

Settings, highest precedence first: ``--database-url`` > ``DATABASE_URL`` (the DIRECT url, never
the PgBouncer one); ``--migrations-dir`` > ``HARNESS_MIGRATIONS_DIR`` > the reference migrations.
Exit status: 0 done, 1 refused or failed (the message says why and how to fix it), 2 usage.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

from . import migrate
from .migration_files import DEFAULT_DIR, MigrationSetError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m harness migrate",
                                description="Apply, roll back and inspect schema migrations (direct URL only).")
    p.add_argument("command", choices=("up", "down", "status", "history"),
                   help="up: apply pending; down: roll back the latest (or every one after --to); "
                        "status: applied/pending; history: the append-only event log")
    p.add_argument("--to", metavar="NAME", default=None,
                   help="up: apply up to and including NAME; down: roll back to NAME (it stays applied), "
                        f"or {migrate.BASE!r} for everything")
    p.add_argument("--database-url", metavar="URL", default=None,
                   help="direct PostgreSQL URL (default: $DATABASE_URL); never the PgBouncer URL")
    p.add_argument("--migrations-dir", metavar="PATH", type=Path, default=None,
                   help="migration set (default: $HARNESS_MIGRATIONS_DIR, else the harness's reference set)")
    p.add_argument("--lock-timeout", metavar="SECONDS", type=float, default=10.0,
                   help="wait at most this long for another run's migration lock (default 10)")
    return p


def _where(url: str) -> str:
    """host:port/db of a URL, without credentials (safe to print)."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or 5432}{parts.path}"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    url = args.database_url or os.environ.get("DATABASE_URL")
    if not url:
        print("error: no database: pass --database-url or set DATABASE_URL (the direct URL)", file=sys.stderr)
        return 2
    if url == os.environ.get("DATABASE_POOL_URL"):
        print("error: refusing the pooled URL (DATABASE_POOL_URL): migrations hold a session advisory lock, which "
              "transaction pooling breaks; use the direct URL (port 5432)", file=sys.stderr)
        return 2
    directory = args.migrations_dir or Path(os.environ.get("HARNESS_MIGRATIONS_DIR") or DEFAULT_DIR)
    try:
        with migrate.connect(url) as conn:
            return _run(args, conn, directory, _where(url))
    except (migrate.MigrationError, MigrationSetError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except psycopg.OperationalError as exc:
        print(f"error: cannot reach {_where(url)}: {exc}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace, conn: psycopg.Connection[tuple[object, ...]], directory: Path, where: str) -> int:
    if args.command == "status":
        rows = migrate.status(conn, directory)
        for s in rows:
            note = "" if s.checksum_ok in (None, True) else "  CHANGED SINCE APPLIED"
            print(f"{s.state:<8} {s.name}  {s.applied_at.isoformat() if s.applied_at else ''}{note}")
        pending = sum(s.state == "pending" for s in rows)
        print(f"{where}: {len(rows) - pending} applied, {pending} pending")
        return 0
    if args.command == "history":
        for h in migrate.history(conn):
            print(f"{h.id:>4} {h.direction:<4} {h.name}  applied_at={h.applied_at.isoformat()}  "
                  f"rolled_back_at={h.rolled_back_at.isoformat() if h.rolled_back_at else '-'}  "
                  f"sha256={h.checksum[:12]}  {h.execution_ms} ms  by {h.applied_by}")
        return 0
    run = migrate.up if args.command == "up" else migrate.down
    events = run(conn, directory, to=args.to, lock_timeout_s=args.lock_timeout)
    for e in events:
        print(f"{e.direction:<4} {e.name}  {e.execution_ms} ms")
    print(f"{where}: {args.command}: {len(events)} migration(s) {'applied' if args.command == 'up' else 'rolled back'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
