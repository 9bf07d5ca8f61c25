"""Helpers the pytest fixtures use to start the real components the tests run against."""
