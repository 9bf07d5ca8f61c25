"""The write model: pure decision functions that turn facts and commands into events.

No clock, uuid or I/O in here: the caller passes them in, so decisions are pure.
"""
