"""Database backup that is only kept once a restore proved it (WIL-1.2-016).

    python -m harness.db.backup backup          # dump, verify by restoring, log, apply retention
    python -m harness.db.backup verify FILE     # restore FILE into a scratch database and compare
    python -m harness.db.backup prune           # retention only (7 days, newest kept)
    python -m harness.db.backup location        # the backup directory in use

Environment: ``DATABASE_URL`` (source, direct - not PgBouncer), ``DATABASE_ADMIN_URL``
(may create and drop the scratch database), ``BACKUP_DIR`` (default
``/data/backups/docling``), ``PG_BINDIR`` (default: the server-matching binaries).

Why it differs from the plan's ``pg_dump | gzip > f; gunzip -t f``: without pipefail a
failed dump still yields a valid gzip of a truncated dump, and ``gunzip -t`` checks
only the gzip CRC. Here the dump streams into ``NAME.partial``; pg_dump's exit status
and its completion trailer are checked; the file is restored into a scratch database
(``psql --single-transaction -v ON_ERROR_STOP=1``) and every table's row count and
checksum is compared with the source *in the snapshot the dump used*. Only then is it
renamed to ``<db>_YYYYmmdd_HHMMSS.sql.gz`` with ``NAME.verify.log`` next to it.
Exit codes: 0 verified, 1 verification failed, 2 dump or configuration error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import hashlib
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
from psycopg import sql

from harness.infra.binaries import pg_bindir
from harness.infra.errors import ProvisioningError

from .retention import prune

__all__ = ["COMMAND", "DEFAULT_BACKUP_DIR", "BackupConfig", "BackupError", "Verification", "run_backup", "verify"]

#: The ``backup`` role's reference command (argv prefix).
COMMAND: tuple[str, ...] = (sys.executable, "-m", "harness.db.backup")
DEFAULT_BACKUP_DIR = "/data/backups/docling"
DUMP_TRAILER = b"-- PostgreSQL database dump complete"
CHUNK = 1 << 16


class BackupError(RuntimeError):
    """The dump or the configuration failed; no backup was left behind."""


class VerificationFailed(BackupError):
    """The dump completed but its restore differs from the source (exit status 1)."""


@dataclass(frozen=True)
class BackupConfig:
    source_url: str
    admin_url: str | None
    backup_dir: Path
    bindir_override: Path | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> BackupConfig:
        env = os.environ if env is None else env
        source = env.get("DATABASE_URL", "")
        return cls(source_url=source, admin_url=env.get("DATABASE_ADMIN_URL") or None,
                   backup_dir=Path(env.get("BACKUP_DIR") or DEFAULT_BACKUP_DIR),
                   bindir_override=Path(env["PG_BINDIR"]) if env.get("PG_BINDIR") else None)

    def tool(self, name: str) -> str:
        """A PostgreSQL client binary: PG_BINDIR's, else the server-matching one (not Debian's wrapper)."""
        return str((self.bindir_override or pg_bindir()) / name)

    @property
    def dbname(self) -> str:
        return urlsplit(self.source_url).path.lstrip("/") or "docling_db"

    def require(self, *, admin: bool) -> None:
        if not self.source_url:
            raise BackupError("DATABASE_URL is not set: set it to the direct (not PgBouncer) URL of the database")
        if admin and not self.admin_url:
            raise BackupError("DATABASE_ADMIN_URL is not set: verification restores into a scratch database, "
                              "which needs a role with CREATEDB")


def libpq(url: str, **overrides: str) -> tuple[str, dict[str, str]]:
    """(conninfo without the password, environment carrying it): no secret on a command line."""
    params = psycopg.conninfo.conninfo_to_dict(url)
    params.update(overrides)
    password = params.pop("password", None)
    env = dict(os.environ)
    if password is not None:
        env["PGPASSWORD"] = str(password)
    return psycopg.conninfo.make_conninfo(**{k: str(v) for k, v in params.items()}), env


TABLES = """
SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1, 2
"""


def fingerprints(conn: psycopg.Connection) -> dict[str, tuple[int, str]]:
    """``schema.table`` -> (row count, md5 of the rows' text in a stable order)."""
    out: dict[str, tuple[int, str]] = {}
    for schema, table in conn.execute(TABLES).fetchall():
        query = sql.SQL("SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) "
                        "FROM {}.{} AS t").format(sql.Identifier(schema), sql.Identifier(table))
        row = conn.execute(query).fetchone()
        assert row is not None
        out[f"{schema}.{table}"] = (int(row[0]), str(row[1]))
    return out


def dump(cfg: BackupConfig, dest: Path, snapshot: str | None = None) -> None:
    """pg_dump (plain SQL) gzipped into ``dest``; raises unless pg_dump succeeded completely."""
    conninfo, env = libpq(cfg.source_url)
    argv = [cfg.tool("pg_dump"), "--no-owner", "--no-privileges", "--format=plain", f"--dbname={conninfo}"]
    if snapshot:
        argv.append(f"--snapshot={snapshot}")
    tail = b""
    with tempfile.TemporaryFile() as errors, gzip.open(dest, "wb") as out:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=errors, env=env)
        assert proc.stdout is not None
        while chunk := proc.stdout.read(CHUNK):
            out.write(chunk)
            tail = (tail + chunk)[-512:]
        code = proc.wait()
        errors.seek(0)
        message = errors.read().decode(errors="replace").strip()[-1500:]
    if code != 0:  # the pipefail of this pipeline
        raise BackupError(f"pg_dump exited with status {code}: {message or '(no message)'}")
    if DUMP_TRAILER not in tail:
        raise BackupError("pg_dump exited 0 but the dump lacks its completion trailer: treated as truncated")


@dataclass
class Verification:
    ok: bool
    lines: list[str] = field(default_factory=list)


def _restore(cfg: BackupConfig, backup: Path, scratch: str) -> str | None:
    """Restore into ``scratch``; the error text, or None on success."""
    assert cfg.admin_url is not None
    conninfo, env = libpq(cfg.admin_url, dbname=scratch)
    argv = [cfg.tool("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction",
            f"--dbname={conninfo}"]
    with tempfile.TemporaryFile() as output:
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=output, stderr=output, env=env)
        assert proc.stdin is not None
        problem = None
        try:
            with gzip.open(backup, "rb") as source:
                while chunk := source.read(CHUNK):
                    proc.stdin.write(chunk)
        except BrokenPipeError:
            pass  # psql stopped reading (ON_ERROR_STOP): its exit status tells why
        except (OSError, EOFError) as exc:  # corrupt or truncated gzip stream
            problem = f"cannot read {backup.name}: {exc}"
            proc.kill()
        finally:
            try:
                proc.stdin.close()
            except BrokenPipeError:
                pass
        code = proc.wait()
        output.seek(0)
        text = output.read().decode(errors="replace").strip()[-1500:]
    if problem:
        return problem
    return None if code == 0 else f"psql exited {code}: {text}"


def verify(cfg: BackupConfig, backup: Path, source: dict[str, tuple[int, str]] | None = None) -> Verification:
    """Restore ``backup`` into a scratch database and compare it table by table with ``source``
    (default: the source database now)."""
    cfg.require(admin=True)
    assert cfg.admin_url is not None
    if source is None:
        with psycopg.connect(cfg.source_url, autocommit=True, connect_timeout=20) as conn:
            source = fingerprints(conn)
    scratch = f"verify_{cfg.dbname[:30]}_{uuid.uuid4().hex[:12]}"
    result = Verification(ok=False)
    with psycopg.connect(cfg.admin_url, autocommit=True, connect_timeout=20) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(scratch)))
        try:
            t0 = time.monotonic()
            error = _restore(cfg, backup, scratch)
            elapsed = time.monotonic() - t0
            if error:
                result.lines.append(f"restore: FAILED into scratch database {scratch}: {error}")
                return result
            result.lines.append(f"restore: OK into scratch database {scratch} "
                                "(psql --single-transaction, ON_ERROR_STOP=1) in {:.2f} s".format(elapsed))
            restored_url = psycopg.conninfo.make_conninfo(cfg.admin_url, dbname=scratch)
            with psycopg.connect(restored_url, autocommit=True, connect_timeout=20) as conn:
                restored = fingerprints(conn)
        finally:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(scratch)))
    ok = set(source) == set(restored)
    for name in sorted(set(source) | set(restored)):
        (n_src, md5_src), (n_dst, md5_dst) = source.get(name, (-1, "-")), restored.get(name, (-1, "-"))
        same = (n_src, md5_src) == (n_dst, md5_dst)
        ok = ok and same
        result.lines.append(f"table {name}: rows source={n_src} restored={n_dst} "
                            f"md5 source={md5_src} restored={md5_dst} {'OK' if same else 'MISMATCH'}")
    total = sum(n for n, _ in source.values())
    result.lines.append(f"result: {'VERIFIED' if ok else 'FAILED'} ({len(source)} tables, {total} rows)")
    result.ok = ok
    return result


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def run_backup(cfg: BackupConfig, *, now: dt.datetime | None = None) -> Path:
    """Dump, verify, log, rename, prune. Returns the verified backup's path."""
    cfg.require(admin=True)
    now = now or dt.datetime.now(dt.timezone.utc)
    cfg.backup_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    name = f"{cfg.dbname}_{now:%Y%m%d_%H%M%S}.sql.gz"
    final, partial = cfg.backup_dir / name, cfg.backup_dir / f"{name}.partial"
    log = cfg.backup_dir / f"{name}.verify.log"
    try:
        # One snapshot for the dump and for the source side of the comparison.
        with psycopg.connect(cfg.source_url, connect_timeout=20) as conn:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            row = conn.execute("SELECT pg_export_snapshot()").fetchone()
            assert row is not None
            dump(cfg, partial, snapshot=str(row[0]))
            source = fingerprints(conn)
        result = verify(cfg, partial, source)
        header = [f"backup: {name}", f"created_utc: {now:%Y-%m-%dT%H:%M:%SZ}",
                  f"source: {libpq(cfg.source_url)[0]}", f"bytes: {partial.stat().st_size}",
                  f"sha256: {_sha256(partial)}"]
        log.write_text("\n".join(header + result.lines) + "\n", encoding="utf-8")
        if not result.ok:
            raise VerificationFailed(f"{name} did not verify; see {log}")
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)
    prune(cfg.backup_dir, cfg.dbname)
    return final


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.db.backup", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("backup", help="dump, verify by restoring, log, apply retention")
    check = sub.add_parser("verify", help="restore FILE into a scratch database and compare with the source")
    check.add_argument("file", type=Path)
    sub.add_parser("prune", help="delete backups older than 7 days (never the newest)")
    sub.add_parser("location", help="print the backup directory in use")
    args = parser.parse_args(argv)
    try:
        cfg = BackupConfig.from_env()
        if args.command == "location":
            print(cfg.backup_dir)
        elif args.command == "prune":
            for path in prune(cfg.backup_dir, cfg.dbname):
                print(f"deleted {path}")
        elif args.command == "verify":
            result = verify(cfg, args.file)
            print("\n".join(result.lines))
            return 0 if result.ok else 1
        else:
            print(run_backup(cfg))
    except VerificationFailed as exc:
        print(f"backup: {exc}", file=sys.stderr)
        return 1
    except (BackupError, ProvisioningError, psycopg.Error, OSError) as exc:
        print(f"backup: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
