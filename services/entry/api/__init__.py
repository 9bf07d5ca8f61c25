"""HTTP: the gateway's webhooks, the agent API, health and metrics."""
