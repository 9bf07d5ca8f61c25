"""Orders from a shop or ERP: one at a time (API, Kafka) or a history in bulk (CSV)."""
