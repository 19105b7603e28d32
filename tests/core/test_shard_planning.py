"""Shard planning (pure): every community in exactly one shard, shards of the size asked, west to
east, the same plan for the same communities whatever order they come in."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from indicators.planning import shards

communities = st.dictionaries(
    st.text(alphabet="abcdefghij-0123456789", min_size=1, max_size=8),
    st.floats(min_value=-82, max_value=-68, allow_nan=False),
    max_size=60,
)


@given(communities, st.integers(min_value=-1, max_value=70))
def test_every_community_lands_in_one_shard_of_at_most_the_size(
    longitudes: dict[str, float], size: int
) -> None:
    codes, xs = list(longitudes), list(longitudes.values())
    planned = shards(codes, xs, size)
    flat = [code for shard in planned for code in shard]
    assert sorted(flat) == sorted(codes)  # each once
    if not codes:
        assert planned == []
        return
    if size < 1:
        assert len(planned) == 1
    else:
        assert all(0 < len(shard) <= size for shard in planned)
        assert all(len(shard) == size for shard in planned[:-1])
    # West to east: a shard never reaches west of the one before it.
    bands = [[longitudes[code] for code in shard] for shard in planned]
    assert all(max(a) <= min(b) for a, b in itertools.pairwise(bands))
    # The plan does not depend on the order the communities were read in.
    assert shards(codes[::-1], xs[::-1], size) == planned


def test_a_national_set_in_shards_of_250() -> None:
    codes = [f"c{i:04d}" for i in range(2_300)]
    xs = [-80 + (i * 7919 % 2300) / 200 for i in range(2_300)]
    planned = shards(codes, xs, 250)
    assert [len(s) for s in planned] == [250] * 9 + [50]


def test_one_longitude_per_community() -> None:
    with pytest.raises(ValueError, match="longitude"):
        shards(["a", "b"], [1.0], 10)
