"""Infrastructure: the event store, Kafka, the SQL runner, blobs, locks, tokens, settings."""
