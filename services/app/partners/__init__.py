"""Partner access (collaborative CRM): sharing cases, and the partner webhooks."""
