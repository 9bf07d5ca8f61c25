"""Outbound: every send over every channel goes through one pipeline (`pipeline.py`);
each channel's module configures it (messages, email, calls, letters)."""
