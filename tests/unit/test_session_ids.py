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


@pytest.mark.parametrize("value", [str(uuid.uuid4()).upper(), str(uuid.uuid1()), uuid.uuid4().hex,
                                   str(uuid.uuid4()) + "\n", "session:*", "a" * 5000])
def test_look_alikes_are_rejected(value: str) -> None:
    with pytest.raises(InvalidSessionId, match="not a canonical lowercase UUID4"):
        parse_session_id(value)
