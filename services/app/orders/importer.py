"""An order history in bulk (`contacthub orders import FILE.csv`).

One CSV row per order line; consecutive rows with the same `order_id` make one
order. Orders are decided as `OrderBook.place` decides them, but a whole batch
at a time: the batch's customers are resolved in one read, its orders checked
for duplicates in one read, and everything is appended in one transaction, so
a million lines take minutes. Re-running an import records nothing twice (ids
derive from the shop's order ids). A malformed order is reported with its line
number and skipped; the others are imported.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO
from uuid import UUID

from eventsourcing.persistence import IntegrityError
from pydantic import ValidationError

from domain import orders
from domain.addresses import InvalidAddress
from events import Event, OrderLine, order_stream_id
from services.app.errors import CommandRefused, CustomerNotFound
from services.app.orders.book import OrderBook, OrderIn
from services.app.orders.customers import CustomerRef, address_of, owners

COLUMNS = (
    "order_id",
    "customer_id",
    "email",
    "phone",
    "ordered_at",
    "currency",
    "sku",
    "name",
    "category",
    "quantity",
    "unit_price",
)
REQUIRED = ("order_id", "ordered_at", "sku", "quantity", "unit_price")
BATCH_ORDERS = 2000


def _error(parsed: ParsedOrder, reason: object) -> str:
    return f"line {parsed.first_line}: order {parsed.order.order_id!r}: {reason}"


@dataclass
class ImportReport:
    orders: int = 0  # recorded now
    duplicates: int = 0  # recorded before (same order_id)
    lines: int = 0
    customers_created: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ParsedOrder:
    first_line: int  # the CSV line number of its first row, for error messages
    order: OrderIn
    rows: int


def parse(source: IO[str]) -> Iterator[ParsedOrder | str]:
    """Orders from the CSV, or an error message (with the line number) per bad order."""
    # A short row's missing fields are empty, not None: reported as empty, never a crash.
    reader = csv.DictReader(source, restval="")
    missing = [
        c
        for c in ("order_id", "ordered_at", "sku", "quantity", "unit_price")
        if c not in (reader.fieldnames or [])
    ]
    if missing:
        yield f"line 1: missing columns: {', '.join(missing)} (expected {', '.join(COLUMNS)})"
        return
    group: list[tuple[int, dict[str, str]]] = []
    for row in reader:
        if group and row.get("order_id") != group[0][1].get("order_id"):
            yield _order_of(group)
            group = []
        group.append((reader.line_num, row))
    if group:
        yield _order_of(group)


def _order_of(group: list[tuple[int, dict[str, str]]]) -> ParsedOrder | str:
    line, head = group[0]
    try:
        customer_id = (head.get("customer_id") or "").strip()
        ref = CustomerRef(
            customer_id=UUID(customer_id) if customer_id else None,
            email=(head.get("email") or "").strip() or None,
            phone=(head.get("phone") or "").strip() or None,
        )
        ordered_at = datetime.fromisoformat(head["ordered_at"].strip())
        if ordered_at.tzinfo is None:
            raise ValueError("ordered_at needs a time zone, e.g. 2025-03-01T10:00:00+01:00")
        lines = [
            OrderLine(
                sku=row["sku"].strip(),
                name=(row.get("name") or "").strip(),
                category=(row.get("category") or "").strip(),
                quantity=int(row["quantity"]),
                unit_price=row["unit_price"].strip(),
            )
            for _, row in group
        ]
        order = OrderIn(
            order_id=head["order_id"].strip(),
            customer=ref,
            ordered_at=ordered_at,
            currency=(head.get("currency") or "EUR").strip(),
            lines=lines,
        )
        orders.check_lines(order.lines)
    except (ValueError, ValidationError, KeyError, TypeError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return f"line {line}: order {head.get('order_id')!r}: {reason}"
    return ParsedOrder(line, order, len(group))


class OrderImporter:
    def __init__(self, book: OrderBook, *, batch_orders: int = BATCH_ORDERS) -> None:
        self.book = book
        self.store = book.store
        self.batch_orders = batch_orders
        self._owner: dict[str, UUID] = {}  # address key -> customer, as resolved so far

    def run(
        self, parsed: Iterable[ParsedOrder | str], progress: Callable[[int], None] = lambda n: None
    ) -> ImportReport:
        report = ImportReport()
        batch: list[ParsedOrder] = []
        for item in parsed:
            if isinstance(item, str):
                report.errors.append(item)
                continue
            batch.append(item)
            if len(batch) >= self.batch_orders:
                self._import(batch, report, progress)
                batch = []
        if batch:
            self._import(batch, report, progress)
        return report

    def _import(
        self, batch: list[ParsedOrder], report: ImportReport, progress: Callable[[int], None]
    ) -> None:
        try:
            self._import_at_once(batch, report)
        except IntegrityError:
            # Someone else wrote one of these streams meanwhile (a live order or a
            # first contact): decide order by order, as the API would.
            self._owner.clear()
            for parsed in batch:
                self._import_one(parsed, report)
        progress(sum(p.rows for p in batch))

    def _import_one(self, parsed: ParsedOrder, report: ImportReport) -> None:
        try:
            recorded = self.book.place(parsed.order, source="import")
        except (CommandRefused, CustomerNotFound, InvalidAddress, orders.OrderRefused) as exc:
            report.errors.append(
                f"line {parsed.first_line}: order {parsed.order.order_id!r}: {exc}"
            )
            return
        if recorded.created:
            report.orders += 1
            report.lines += parsed.rows
        else:
            report.duplicates += 1

    def _import_at_once(self, batch: list[ParsedOrder], report: ImportReport) -> None:
        book = self.book
        now = book.clock()
        seen = self.store.existing(order_stream_id(p.order.order_id) for p in batch)
        fresh: list[ParsedOrder] = []
        addresses: dict[int, orders.NewAddress | None] = {}
        errors: list[str] = []
        duplicates = 0
        for n, parsed in enumerate(batch):
            if order_stream_id(parsed.order.order_id) in seen:
                duplicates += 1
                continue
            try:
                addresses[n] = address_of(parsed.order.customer, book.secret, book.region)
            except (CommandRefused, InvalidAddress) as exc:
                errors.append(_error(parsed, exc))
                continue
            fresh.append(parsed)
        unknown = {a.address_key for a in addresses.values() if a is not None} - self._owner.keys()
        self._owner.update(owners(self.store, unknown))
        named = {p.order.customer.customer_id for p in fresh if p.order.customer.customer_id}
        known_ids = self.store.existing(named)
        events: list[Event] = []
        created: set[UUID] = set()
        placed_ids: set[str] = set()
        counts = (0, 0)
        for n, parsed in enumerate(batch):
            if n not in addresses:
                continue
            if parsed.order.order_id in placed_ids:  # the same order twice in one file
                duplicates += 1
                continue
            new = addresses[n]
            order = parsed.order
            if new is None:
                assert order.customer.customer_id is not None
                customer_id = order.customer.customer_id
                if customer_id not in known_ids:
                    errors.append(_error(parsed, f"no customer {customer_id}"))
                    continue
            elif new.address_key in self._owner:
                customer_id = self._owner[new.address_key]
            else:
                registered = orders.first_contact_events(
                    new, at=order.ordered_at, now=now, cause=order_stream_id(order.order_id)
                )
                events += registered
                assert registered[0].customer_id is not None
                customer_id = registered[0].customer_id
                self._owner[new.address_key] = customer_id
                created.add(customer_id)
            events.append(
                orders.place_order(
                    order_id=order.order_id,
                    customer_id=customer_id,
                    ordered_at=order.ordered_at,
                    currency=order.currency,
                    lines=order.lines,
                    source="import",
                    now=now,
                )
            )
            placed_ids.add(order.order_id)
            counts = (counts[0] + 1, counts[1] + parsed.rows)
        if events:
            self.store.keys.prepare(created)
            try:
                book.recorder.append(events)
            except IntegrityError:
                for key in [k for k, c in self._owner.items() if c in created]:
                    del self._owner[key]
                raise
        report.duplicates += duplicates
        report.orders += counts[0]
        report.lines += counts[1]
        report.customers_created += len(created)
        report.errors += errors
