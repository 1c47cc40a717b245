"""WIL-1.2-001 DATABASE_URL SSL Configuration.

The plan's ``sslmode=require`` neither checks the hostname nor, without a root
certificate, the CA; and through PgBouncer ``ssl_is_used()`` describes PgBouncer's
own connection. So each leg is checked on its own: the client leg of both URLs, and
the PgBouncer -> PostgreSQL leg from PgBouncer's console.
"""

from __future__ import annotations

import socket
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest
import trustme

from fixtures.clients import show
from harness.infra import Stack

TLS_MODES = ("require", "verify-ca", "verify-full")


def params(url: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}


def connect(url: str, **kwargs: object) -> psycopg.Connection:
    kwargs.setdefault("connect_timeout", 5)
    return psycopg.connect(url, autocommit=True, prepare_threshold=None, **kwargs)  # type: ignore[arg-type]


def tls_of(conn: psycopg.Connection, stack: Stack, app_name: str) -> dict[str, object]:
    """What was negotiated, asked of whoever terminates this connection's TLS."""
    found: dict[str, object] = {"ssl_in_use": bool(conn.pgconn.ssl_in_use)}
    if urlsplit(stack.database_url).port == conn.info.port:
        row = conn.execute("SELECT version, cipher, bits FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone()
        if row:
            found.update(version=row[0], cipher=row[1], bits=row[2], seen_by="pg_stat_ssl")
    elif stack.pgbouncer_admin_url:
        with connect(stack.pgbouncer_admin_url, cursor_factory=psycopg.ClientCursor) as admin:
            mine = [c for c in show(admin, "CLIENTS") if c.get("application_name") == app_name]
        if mine:
            found.update(tls=mine[0].get("tls"), seen_by="PgBouncer SHOW CLIENTS")
    return found


@pytest.fixture(scope="module")
def wrong_ca(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("wrong-ca") / "wrong-ca.pem"
    trustme.CA(organization_name="not the server's CA").cert_pem.write_to_path(str(path))
    return path


@pytest.mark.criterion("WIL-1.2-001/AC1")
@pytest.mark.parametrize("which", ["database_url", "database_pool_url"])
def test_url_requires_tls_and_gets_it(stack: Stack, which: str, evidence, signoff_environment) -> None:
    """The URL asks for an encrypted connection (require or stricter) and gets one."""
    url = getattr(stack, which)
    mode = params(url).get("sslmode", "(absent: libpq default 'prefer' silently falls back to plaintext)")
    evidence.text(f"{which} sslmode", mode)
    assert mode in TLS_MODES, f"{which} has sslmode={mode!r}; it must be one of {TLS_MODES}"
    app_name = f"signoff-001-{uuid.uuid4().hex[:8]}"
    with connect(url, application_name=app_name) as conn:
        tls = tls_of(conn, stack, app_name)
    evidence.json(f"{which} negotiated TLS", tls)
    signoff_environment[f"tls_{which}"] = str(tls.get("tls") or f"{tls.get('version')} {tls.get('cipher')}")
    assert tls["ssl_in_use"], f"{which} connected without TLS"


@pytest.mark.criterion("WIL-1.2-001/AC2")
@pytest.mark.parametrize("which", ["database_url", "database_pool_url"])
def test_root_certificate_verifies_the_server(stack: Stack, which: str, wrong_ca: Path, evidence) -> None:
    """sslrootcert names a CA that verifies the server with hostname checking, and a wrong CA is refused."""
    url = getattr(stack, which)
    rootcert = params(url).get("sslrootcert")
    assert rootcert, f"{which} has no sslrootcert: the server certificate is not verified against a known CA"
    assert Path(rootcert).is_file(), f"{which}: sslrootcert {rootcert} does not exist"
    with connect(url, sslmode="verify-full") as conn:  # hostname included
        assert conn.pgconn.ssl_in_use
    evidence.text(f"{which} verify-full", f"verified against {rootcert} with hostname check")
    with pytest.raises(psycopg.OperationalError) as refused:
        connect(url, sslmode="verify-full", sslrootcert=str(wrong_ca)).close()
    evidence.text(f"{which} wrong CA refused", str(refused.value).strip().splitlines()[-1])
    assert "certificate verify failed" in str(refused.value) or "certificate" in str(refused.value).lower()


@pytest.mark.criterion("WIL-1.2-001/AC3")
def test_pooled_url_reaches_pgbouncer(stack: Stack, evidence) -> None:
    """What answers on the pooled URL is PgBouncer: its console knows our client, and the
    PostgreSQL backend behind it listens on another port."""
    app_name = f"signoff-001-{uuid.uuid4().hex[:8]}"
    pooled = urlsplit(stack.database_pool_url)
    with connect(stack.database_pool_url, application_name=app_name) as conn:
        backend_port = conn.execute("SELECT inet_server_port()").fetchone()[0]  # type: ignore[index]
        evidence.text("ports", f"pooled URL port {pooled.port}; PostgreSQL backend port seen through it {backend_port}")
        assert backend_port != pooled.port, "the pooled URL answers like PostgreSQL itself (no pooler in between)"
        if not stack.pgbouncer_admin_url:
            pytest.skip("PGBOUNCER_ADMIN_URL not set: cannot prove PgBouncer answers (only that something proxies)")
        with connect(stack.pgbouncer_admin_url, cursor_factory=psycopg.ClientCursor) as admin:
            version = show(admin, "VERSION")
            clients = [c for c in show(admin, "CLIENTS") if c.get("application_name") == app_name]
    evidence.table("PgBouncer SHOW VERSION", version)
    evidence.table("PgBouncer SHOW CLIENTS (this test's client)", clients)
    assert "pgbouncer" in str(version).lower()
    assert urlsplit(stack.pgbouncer_admin_url).port == pooled.port, "the console is on another port than the pooled URL"
    assert clients, "PgBouncer does not list this client: the pooled URL does not go through it"


@pytest.mark.criterion("WIL-1.2-001/AC4")
def test_direct_url_reaches_postgresql_itself(stack: Stack, evidence) -> None:
    """The direct URL's backend sees our own socket (no intermediary), on the URL's port."""
    direct = urlsplit(stack.database_url)
    with connect(stack.database_url) as conn:
        row = conn.execute(
            "SELECT inet_server_port(), client_port, version() FROM pg_stat_activity WHERE pid = pg_backend_pid()"
        ).fetchone()
        assert row is not None
        sock = socket.socket(fileno=conn.pgconn.socket)
        try:
            local_port = sock.getsockname()[1]
        finally:
            sock.detach()
    server_port, client_port, version = row
    evidence.json("direct connection", {"url_port": direct.port, "server_port": server_port,
                                        "backend_sees_client_port": client_port, "our_socket_port": local_port,
                                        "version": version})
    assert "PostgreSQL" in version
    assert server_port == direct.port, "the direct URL is answered by a server on another port (a proxy?)"
    assert client_port == local_port, "the backend sees another client socket than ours: something sits in between"


@pytest.mark.criterion("WIL-1.2-001/AC5")
@pytest.mark.parametrize("which", ["database_url", "database_pool_url"])
def test_plaintext_is_refused(stack: Stack, which: str, evidence) -> None:
    """sslmode=disable is refused on both URLs (hostssl-only / client_tls_sslmode=require)."""
    with pytest.raises(psycopg.OperationalError) as refused:
        connect(getattr(stack, which), sslmode="disable").close()
    evidence.text(f"{which} plaintext attempt", str(refused.value).strip().splitlines()[-1])


@pytest.mark.criterion("WIL-1.2-001/AC5")
def test_tls_on_both_legs_through_pgbouncer(stack: Stack, evidence) -> None:
    """Client leg (our connection to PgBouncer) and server leg (PgBouncer to PostgreSQL), each seen where it is."""
    if not stack.pgbouncer_admin_url:
        pytest.skip("PGBOUNCER_ADMIN_URL not set: the PgBouncer -> PostgreSQL leg cannot be observed")
    app_name = f"signoff-001-{uuid.uuid4().hex[:8]}"
    with connect(stack.database_pool_url, application_name=app_name) as conn:
        assert conn.pgconn.ssl_in_use, "client leg to PgBouncer is not encrypted"
        with conn.transaction():  # hold a server connection while we look
            conn.execute("SELECT 1")
            with connect(stack.pgbouncer_admin_url, cursor_factory=psycopg.ClientCursor) as admin:
                clients = [c for c in show(admin, "CLIENTS") if c.get("application_name") == app_name]
                servers = [s for s in show(admin, "SERVERS") if s.get("database") == urlsplit(stack.database_pool_url).path.strip("/")]
    evidence.table("SHOW CLIENTS (client leg)", [{k: c.get(k) for k in ("user", "database", "state", "tls")} for c in clients])
    evidence.table("SHOW SERVERS (server leg)", [{k: s.get(k) for k in ("user", "database", "state", "tls")} for s in servers])
    assert clients and all(c.get("tls") for c in clients), "PgBouncer reports the client leg without TLS"
    assert servers, "no server connection to observe"
    assert all(s.get("tls") for s in servers), "PgBouncer -> PostgreSQL leg is plaintext (server_tls_sslmode?)"
