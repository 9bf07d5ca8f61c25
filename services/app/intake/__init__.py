"""Inbound: events from the gateway to the event store (recorder, bus, email gateway)."""
