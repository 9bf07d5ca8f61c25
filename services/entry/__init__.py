"""Entrypoints: the HTTP API and console, the CLI, the SMTP receiver, the worker processes."""
