"""Satisfaction surveys: the survey worker (sending, SMS replies, rating links)
and the CSAT / NPS analytics over the answers."""
