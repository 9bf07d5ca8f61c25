"""Read models built from the event store: each writes its rows and its position
in one transaction, and can be dropped and rebuilt (docs/ARCHITECTURE.md)."""
