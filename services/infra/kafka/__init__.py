"""The Kafka side of the distributed setup: topics, the intake bus, the
recorder's consumer, the publisher of domain events, and the AsyncAPI document.

`broker.py` owns the broker configuration; everything else takes it from there.
"""
