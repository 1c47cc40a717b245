"""A throw-away CA with a server certificate for loopback and a client certificate."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import trustme

SERVER_NAMES = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class CertPaths:
    """Where the PEM files of one run live."""

    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    #: A second, unrelated CA: used to prove that a wrong CA is refused.
    wrong_ca: Path


def make_certs(directory: Path, *, client_identity: str = "docling-app.client") -> CertPaths:
    """Write a CA, a loopback server pair and a client pair into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="sprint-signoff test CA")
    server = ca.issue_cert(*SERVER_NAMES)
    client = ca.issue_cert(client_identity)
    paths = CertPaths(
        ca=directory / "ca.pem",
        server_cert=directory / "server.crt",
        server_key=directory / "server.key",
        client_cert=directory / "client.crt",
        client_key=directory / "client.key",
        wrong_ca=directory / "wrong-ca.pem",
    )
    ca.cert_pem.write_to_path(str(paths.ca))
    server.cert_chain_pems[0].write_to_path(str(paths.server_cert))
    server.private_key_pem.write_to_path(str(paths.server_key))
    client.cert_chain_pems[0].write_to_path(str(paths.client_cert))
    client.private_key_pem.write_to_path(str(paths.client_key))
    trustme.CA(organization_name="unrelated CA").cert_pem.write_to_path(str(paths.wrong_ca))
    for key in (paths.server_key, paths.client_key):
        os.chmod(key, 0o600)
    return paths
