"""The audit export's hash chain: how lines are linked, and where a file was tampered with.

An export is JSON lines. Every line carries its position (`seq`, from 1), the
hash of the line before it (`prev`; the first line's is GENESIS) and its own
`hash`: SHA-256 of its canonical JSON without the `hash` field. A line is
written canonically (sorted keys, no spaces), so any changed byte either breaks
the JSON, changes a value (the hash no longer matches) or changes the layout
(the line is no longer canonical). The last line, the seal, carries the
signature over the chain's head; signing is done at the edges, this module only
says what is signed.

`first_break` finds the first line where the chain does not hold and says how
it was broken: a line changed, lines removed, a line inserted, lines reordered.
Pure functions: no files, no keys.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import orjson

FORMAT = "contacthub-audit/1"
GENESIS = "0" * 64
SEAL = "seal"

Damage = Literal["changed", "removed", "inserted", "reordered"]


def canonical(line: Mapping[str, Any]) -> bytes:
    """The one byte form of a line (sorted keys, compact, UTF-8)."""
    return orjson.dumps(line, option=orjson.OPT_SORT_KEYS)


def line_hash(body: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(body)).hexdigest()


def link(seq: int, prev: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """The line at `seq` after a line whose hash is `prev`, with its own hash."""
    linked = {**body, "seq": seq, "prev": prev}
    linked.pop("hash", None)
    return {**linked, "hash": line_hash(linked)}


def signed_message(count: int, head: str) -> bytes:
    """What the seal's signature covers: the format, how many lines precede the
    seal and the hash of the last of them, so neither lines nor a tail can be
    removed without breaking it."""
    return f"{FORMAT}\n{count}\n{head}".encode()


@dataclass(frozen=True)
class Break:
    """The first place the chain does not hold; `line` is 1-based."""

    line: int
    damage: Damage
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.damage}: {self.reason}"


@dataclass(frozen=True)
class Chain:
    """An intact chain: its lines (the seal last) and the head the seal signs."""

    lines: list[dict[str, Any]]
    head: str

    @property
    def seal(self) -> dict[str, Any]:
        return self.lines[-1]


def parse_line(raw: bytes) -> dict[str, Any] | None:
    """The line if it is canonical JSON whose hash matches its content, else None."""
    try:
        line = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(line, dict) or not isinstance(line.get("hash"), str):
        return None
    if not isinstance(line.get("seq"), int) or not isinstance(line.get("prev"), str):
        return None
    if canonical(line) != raw:
        return None
    body = {k: v for k, v in line.items() if k != "hash"}
    return line if line_hash(body) == line["hash"] else None


def first_break(raw_lines: Sequence[bytes]) -> Break | Chain:
    """The first break in the chain, or the intact chain.

    Lines are compared by `seq` and `prev`: a line whose `seq` and `prev`
    continue the chain is in place. Where one does not, the lines after it tell
    what happened: the chain resumes on the next line (an inserted line), the
    missing `seq` appears later (reordered), or never does (removed).
    """
    parsed = [parse_line(raw) for raw in raw_lines]
    prev, expected = GENESIS, 1
    for index, line in enumerate(parsed):
        number = index + 1
        if line is None:
            return Break(number, "changed", "the line does not match its hash")
        if line["seq"] == expected and line["prev"] == prev:
            if line.get("kind") == SEAL and number != len(parsed):
                return Break(number + 1, "inserted", "lines follow the seal")
            prev, expected = line["hash"], expected + 1
            continue
        return _explain(parsed, index, prev, expected)
    if not parsed or parsed[-1] is None or parsed[-1].get("kind") != SEAL:
        return Break(len(parsed) + 1, "removed", "the seal is missing: the file was cut short here")
    return Chain([line for line in parsed if line is not None], parsed[-1]["prev"])


def _continues(line: dict[str, Any] | None, prev: str, seq: int) -> bool:
    return line is not None and line["seq"] == seq and line["prev"] == prev


def _explain(
    parsed: Sequence[dict[str, Any] | None], index: int, prev: str, expected: int
) -> Break:
    line = parsed[index]
    assert line is not None
    number = index + 1
    after = parsed[index + 1] if index + 1 < len(parsed) else None
    # Inserted: skip this line and the chain goes on, for the next two lines.
    if _continues(after, prev, expected):
        assert after is not None
        beyond = parsed[index + 2] if index + 2 < len(parsed) else None
        ends = beyond is None and after.get("kind") == SEAL
        if ends or _continues(beyond, after["hash"], expected + 1):
            return Break(number, "inserted", "the line is not part of the chain")
    before = parsed[index - 1] if index > 0 else None
    rivals = before is not None and (before["seq"], before["prev"]) == (line["seq"], line["prev"])
    # Two lines claim one place and the chain goes on from this one: the line
    # before was made up to fit in front of it.
    if rivals and (after is None or _continues(after, line["hash"], line["seq"] + 1)):
        return Break(number - 1, "inserted", "the line is not part of the chain")
    if line["seq"] == expected:
        # In place by number but not linked: the line before was rewritten
        # with a hash that matches its new content.
        return Break(number - 1, "changed", "the next line does not link to it")
    later = [p for p in parsed[index + 1 :] if p is not None and p["seq"] == expected]
    if later or line["seq"] < expected:
        return Break(
            number, "reordered", f"line {line['seq']} of the export stands here, {expected} was due"
        )
    last_missing = line["seq"] - 1
    gone = f"line {expected}" if last_missing == expected else f"lines {expected} to {last_missing}"
    return Break(number, "removed", f"export {gone} missing before it")
