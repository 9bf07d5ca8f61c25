"""Campaigns: the desk (define, start, report) and the throttled sender."""
