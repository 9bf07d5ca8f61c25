"""Cross- and up-selling: item-to-item co-occurrence over customers' baskets.

A customer's basket is the set of products they kept (bought and did not
return). Two products co-occur when one customer has both. The similarity of
products i and j is the cosine of their customer sets,

    sim(i, j) = both(i, j) / sqrt(buyers(i) * buyers(j)),

and a product j the customer never bought (or returned) scores the sum of sim(i, j) over the
products i they own. The highest scores are suggested (ties by sku); nothing
the customer already owns, or ever returned, is suggested, and a product no owner of the
customer's products bought scores nothing, so is never suggested either.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class CoOccurrence:
    buyers: dict[str, int]  # sku -> customers who own it
    both: dict[str, dict[str, int]]  # sku -> other sku -> customers owning both


def co_occurrence(baskets: Iterable[frozenset[str]]) -> CoOccurrence:
    buyers: dict[str, int] = {}
    both: dict[str, dict[str, int]] = {}
    for basket in baskets:
        for sku in basket:
            buyers[sku] = buyers.get(sku, 0) + 1
        for a, b in itertools.permutations(basket, 2):
            row = both.setdefault(a, {})
            row[b] = row.get(b, 0) + 1
    return CoOccurrence(buyers, both)


@dataclass(frozen=True)
class Suggestion:
    sku: str
    score: float
    because: tuple[str, ...]  # the owned products that contribute most, best first


def suggest(
    owned: frozenset[str], data: CoOccurrence, limit: int, exclude: frozenset[str] = frozenset()
) -> list[Suggestion]:
    """`exclude`: more products never to suggest (e.g. ones the customer returned)."""
    scores: dict[str, float] = {}
    reasons: dict[str, list[tuple[float, str]]] = {}
    for i in owned:
        for j, together in data.both.get(i, {}).items():
            if j in owned or j in exclude:
                continue
            sim = together / math.sqrt(data.buyers[i] * data.buyers[j])
            scores[j] = scores.get(j, 0.0) + sim
            reasons.setdefault(j, []).append((sim, i))
    ranked = sorted(scores.items(), key=lambda kv: (-round(kv[1], 12), kv[0]))[:limit]
    return [
        Suggestion(
            sku,
            round(score, 6),
            tuple(i for _, i in sorted(reasons[sku], key=lambda r: (-r[0], r[1]))[:3]),
        )
        for sku, score in ranked
    ]


def baskets_of(lines: Iterable[Mapping[str, object]]) -> dict[str, frozenset[str]]:
    """customer -> products kept, from rows with customer_id and sku."""
    found: dict[str, set[str]] = {}
    for row in lines:
        found.setdefault(str(row["customer_id"]), set()).add(str(row["sku"]))
    return {c: frozenset(s) for c, s in found.items()}
