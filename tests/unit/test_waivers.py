"""Waivers: validated strictly, expiry enforced."""

import datetime as dt
from pathlib import Path

import pytest

from harness.signoff import catalogue
from harness.signoff.waivers import WaiverFileError, load_waivers

GOOD = """
[[waiver]]
criterion = "WIL-1.2-012/AC3"
justification = "PgBouncer not available; fallback documented"
approved_by = "Jane Doe"
expires = 2030-01-01
"""


def test_valid_file_loads(tmp_path: Path) -> None:
    """A well-formed waiver loads with its fields."""
    f = tmp_path / "w.toml"
    f.write_text(GOOD)
    w = load_waivers(f, catalogue.load())["WIL-1.2-012/AC3"]
    assert w.approved_by == "Jane Doe" and not w.expired(dt.date(2029, 12, 31)) and w.expired(dt.date(2030, 1, 2))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[waiver]]\ncriterion='WIL-1.2-012/AC3'\n", "missing justification, approved_by, expires"),
        (GOOD.replace("WIL-1.2-012/AC3", "WIL-9/AC1"), "unknown criterion"),
        (GOOD.replace("2030-01-01", "'next year'"), "not a date"),
        (GOOD + GOOD, "waived twice"),
        ("[[waiver", "not valid TOML"),
    ],
)
def test_malformed_files_are_refused_with_the_reason(tmp_path: Path, text: str, message: str) -> None:
    """Every defect in the file is named; nothing is guessed."""
    f = tmp_path / "w.toml"
    f.write_text(text)
    with pytest.raises(WaiverFileError, match=message):
        load_waivers(f, catalogue.load())
