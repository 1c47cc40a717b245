"""Waivers: a criterion excused by a named approver, with a justification and an expiry.

File format (TOML)::

    [[waiver]]
    criterion = "WIL-1.2-012/AC3"
    justification = "PgBouncer not available in staging; direct connection documented"
    approved_by = "Jane Doe"
    expires = 2026-12-31
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .catalogue import Catalogue

REQUIRED = ("criterion", "justification", "approved_by", "expires")


class WaiverFileError(ValueError):
    """The waiver file cannot be trusted; the run stops rather than guess."""


@dataclass(frozen=True)
class Waiver:
    criterion: str
    justification: str
    approved_by: str
    expires: dt.date

    def expired(self, today: dt.date) -> bool:
        return today > self.expires

    def as_dict(self, today: dt.date) -> dict[str, object]:
        return {
            "justification": self.justification,
            "approved_by": self.approved_by,
            "expires": self.expires.isoformat(),
            "expired": self.expired(today),
        }


def load_waivers(path: Path, catalogue: Catalogue) -> dict[str, Waiver]:
    """Parse and validate ``path``; every problem is reported at once."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise WaiverFileError(f"waiver file {path} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise WaiverFileError(f"waiver file {path} is not valid TOML: {exc}") from exc
    problems: list[str] = []
    waivers: dict[str, Waiver] = {}
    entries = data.get("waiver", [])
    if not isinstance(entries, list):
        raise WaiverFileError(f"{path}: expected [[waiver]] tables")
    for n, entry in enumerate(entries, start=1):
        where = f"{path}: waiver #{n}"
        missing = [k for k in REQUIRED if not entry.get(k)]
        if missing:
            problems.append(f"{where}: missing {', '.join(missing)}")
            continue
        cid = entry["criterion"]
        if cid not in catalogue.by_id:
            problems.append(f"{where}: unknown criterion {cid!r}")
            continue
        expires = entry["expires"]
        if isinstance(expires, str):
            try:
                expires = dt.date.fromisoformat(expires)
            except ValueError:
                problems.append(f"{where}: expires {expires!r} is not a date (YYYY-MM-DD)")
                continue
        if not isinstance(expires, dt.date):
            problems.append(f"{where}: expires must be a date (YYYY-MM-DD)")
            continue
        if cid in waivers:
            problems.append(f"{where}: {cid} is waived twice")
            continue
        waivers[cid] = Waiver(cid, str(entry["justification"]), str(entry["approved_by"]), expires)
    if problems:
        raise WaiverFileError("invalid waiver file:\n  " + "\n  ".join(problems))
    return waivers
