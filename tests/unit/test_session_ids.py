"""Which session ids the store accepts (pure logic): exactly canonical lowercase UUID4 strings."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.redis.protocols import InvalidSessionId
from harness.redis.session import parse_session_id


@given(st.uuids(version=4))
def test_every_canonical_uuid4_is_accepted(value: uuid.UUID) -> None:
    assert parse_session_id(str(value)) == str(value)


@given(st.text(max_size=80))
def test_arbitrary_text_is_accepted_only_if_canonical_uuid4(value: str) -> None:
    try:
        canonical = str(uuid.UUID(value)) == value and uuid.UUID(value).version == 4
    except ValueError:
        canonical = False
    if canonical:
        assert parse_session_id(value) == value
    else:
        with pytest.raises(InvalidSessionId):
            parse_session_id(value)


V4 = "3f2b8c1e-7d4a-4e6b-9c2d-1a5f0e8b7c6d"  # fixed values: xdist workers must collect the same ids


@pytest.mark.parametrize("value", [V4.upper(), "0516a58c-ec00-11f1-bfd2-02fc00000001", V4.replace("-", ""),
                                   V4 + "\n", "{" + V4 + "}", "session:*", "a" * 5000],
                         ids=["upper", "uuid1", "hex", "newline", "braces", "glob", "long"])
def test_look_alikes_are_rejected(value: str) -> None:
    with pytest.raises(InvalidSessionId, match="not a canonical lowercase UUID4"):
        parse_session_id(value)
