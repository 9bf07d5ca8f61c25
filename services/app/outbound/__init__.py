"""Outbound: every send over every channel, recorded before and after the provider call."""
