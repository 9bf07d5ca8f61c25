"""Property: however reply trees arrive (any order) and whatever headers they
lose on the way (In-Reply-To, References, even Message-ID), each tree ends up as
one conversation, and different trees as different ones.

Real parts all the way: MIME bytes through the translator, the recorder's
threading decisions, and the event store on SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.email.translate import inbound_email_event
from events import EmailReceived
from services.app.intake.recorder import Recorder
from services.infra.eventstore import open_event_store
from services.infra.eventstore.store import store_location

PREFIXES = ["Re: ", "AW: ", "RE: ", "Aw: ", "Re[2]: ", "WG: ", "Fwd: ", "SV: ", "Antw: "]
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Node:
    tree: int
    index: int
    parent: int | None
    prefix: str
    drop_in_reply_to: bool
    drop_references: bool
    drop_message_id: bool


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[list[Node], list[int]]:
    """Some reply trees, flattened, and the order their messages arrive in
    (an index may arrive twice: a redelivery)."""
    nodes: list[Node] = []
    for tree in range(draw(st.integers(1, 3))):
        size = draw(st.integers(1, 6))
        for index in range(size):
            nodes.append(
                Node(
                    tree=tree,
                    index=index,
                    parent=None if index == 0 else draw(st.integers(0, index - 1)),
                    prefix="" if index == 0 else draw(st.sampled_from(PREFIXES)),
                    drop_in_reply_to=draw(st.booleans()),
                    drop_references=draw(st.booleans()),
                    drop_message_id=draw(st.integers(0, 4)) == 0,
                )
            )
    order = draw(st.permutations(range(len(nodes))))
    again = draw(st.lists(st.sampled_from(range(len(nodes))), max_size=2))
    return nodes, [*order, *again]


def build(node: Node, nodes: list[Node], run: str, sender: str) -> bytes:
    def message_id(n: Node) -> str:
        return f"<{run}.t{n.tree}.m{n.index}@mail.example.de>"

    def ancestors(n: Node) -> list[Node]:
        chain = []
        while n.parent is not None:
            n = next(p for p in nodes if p.tree == n.tree and p.index == n.parent)
            chain.append(n)
        return list(reversed(chain))

    message = EmailMessage()
    message["From"] = sender
    message["To"] = "service@hub.example.de"
    message["Subject"] = f"{node.prefix}Bestellung {run[:6]}-{node.tree}"
    if not node.drop_message_id:
        message["Message-ID"] = message_id(node)
    chain = ancestors(node)
    if chain and not node.drop_in_reply_to:
        message["In-Reply-To"] = message_id(chain[-1])
    if chain and not node.drop_references:
        message["References"] = " ".join(message_id(a) for a in chain)
    message.set_content(f"Nachricht {node.index} in Baum {node.tree} ({run})")
    return message.as_bytes()


def test_each_reply_tree_ends_up_as_one_conversation(
    tmp_path: Path, database_url: str | None
) -> None:
    store = open_event_store(store_location(database_url, tmp_path), os.urandom(32))
    secret = os.urandom(32)

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(deliveries())
    def check(case: tuple[list[Node], list[int]]) -> None:
        nodes, order = case
        run = uuid.uuid4().hex  # each example has its own customer and message ids
        sender = f"Kunde <kunde.{run}@example.de>"
        clock = iter(T0 + timedelta(minutes=n) for n in range(1000))
        recorder = Recorder(store, clock=lambda: next(clock))
        conversations: dict[int, uuid.UUID] = {}
        seen: set[int] = set()
        for position in order:
            node = nodes[position]
            raw = build(node, nodes, run, sender)
            event = inbound_email_event(raw, provider="smtp", received_at=T0, address_secret=secret)
            recorded = recorder.record(event)
            assert recorded.duplicate == (position in seen)
            seen.add(position)
            [stored] = [
                e for e in store.stream(event.originator_id) if isinstance(e, EmailReceived)
            ]
            assert stored.conversation_id is not None
            conversations[position] = stored.conversation_id

        per_tree: dict[int, set[uuid.UUID]] = {}
        for position, conversation in conversations.items():
            per_tree.setdefault(nodes[position].tree, set()).add(conversation)
        assert all(len(c) == 1 for c in per_tree.values()), per_tree
        distinct = {next(iter(c)) for c in per_tree.values()}
        assert len(distinct) == len(per_tree), per_tree

    check()
