"""The audit chain finds the first tampered line and says how it was tampered with."""

from __future__ import annotations

import orjson
from hypothesis import given
from hypothesis import strategies as st

from domain.audit_chain import GENESIS, SEAL, Break, Chain, canonical, first_break, link


def export(events: int) -> list[bytes]:
    """A header, `events` event lines and a seal, chained (unsigned: the chain alone)."""
    bodies = [{"kind": "header"}, *({"kind": "event", "n": n} for n in range(events))]
    lines, prev = [], GENESIS
    for seq, body in enumerate([*bodies, {"kind": SEAL}], start=1):
        line = link(seq, prev, body)
        lines.append(canonical(line))
        prev = line["hash"]
    return lines


def broken(lines: list[bytes]) -> Break:
    result = first_break(lines)
    assert isinstance(result, Break), "the tampering was not detected"
    return result


def test_an_intact_chain_holds_and_its_head_is_the_last_line_before_the_seal() -> None:
    lines = export(5)
    result = first_break(lines)
    assert isinstance(result, Chain)
    assert result.head == orjson.loads(lines[-2])["hash"]
    assert result.seal["kind"] == SEAL


@given(st.integers(2, 12).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n + 1))))
def test_a_changed_byte_names_its_line(case: tuple[int, int]) -> None:
    events, index = case
    lines = export(events)
    for position in (0, len(lines[index]) // 2, len(lines[index]) - 1):
        changed = list(lines)
        raw = bytearray(changed[index])
        raw[position] = ord("x") if raw[position] != ord("x") else ord("y")
        changed[index] = bytes(raw)
        found = broken(changed)
        assert (found.line, found.damage) == (index + 1, "changed")


@given(st.integers(2, 12).flatmap(lambda n: st.tuples(st.just(n), st.integers(1, n))))
def test_a_removed_line_names_the_line_that_now_stands_in_its_place(
    case: tuple[int, int],
) -> None:
    events, index = case
    lines = export(events)
    found = broken(lines[:index] + lines[index + 1 :])
    assert (found.line, found.damage) == (index + 1, "removed")


def test_a_removed_header_or_seal_is_found() -> None:
    lines = export(3)
    assert (broken(lines[1:]).line, broken(lines[1:]).damage) == (1, "removed")
    cut = broken(lines[:-1])
    assert (cut.line, cut.damage) == (len(lines), "removed")


@given(
    st.integers(2, 12).flatmap(
        lambda n: st.tuples(st.just(n), st.integers(0, n + 2), st.integers(0, n + 1))
    )
)
def test_an_inserted_line_is_named_whether_a_copy_or_made_up(case: tuple[int, int, int]) -> None:
    events, where, copied = case
    lines = export(events)
    made_up = canonical(link(where + 1, GENESIS, {"kind": "event", "n": 99}))
    for extra in (lines[copied], made_up):
        found = broken([*lines[:where], extra, *lines[where:]])
        # A copy put just before its original cannot be told from one just after it.
        expected = where + 2 if extra == lines[copied] and copied == where else where + 1
        assert (found.line, found.damage) == (expected, "inserted")


@given(st.integers(2, 12).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))))
def test_two_swapped_lines_name_the_first_of_them(case: tuple[int, int]) -> None:
    events, index = case  # swaps lines index and index + 1 (the seal is the last one)
    lines = export(events)
    swapped = list(lines)
    swapped[index], swapped[index + 1] = swapped[index + 1], swapped[index]
    found = broken(swapped)
    assert (found.line, found.damage) == (index + 1, "reordered")


def test_a_rewritten_line_with_a_recomputed_hash_is_found_by_the_next_line() -> None:
    lines = export(4)
    original = orjson.loads(lines[2])
    forged = link(original["seq"], original["prev"], {"kind": "event", "n": 1000})
    found = broken([*lines[:2], canonical(forged), *lines[3:]])
    assert (found.line, found.damage) == (3, "changed")
