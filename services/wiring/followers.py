"""The hub's followers as one unit: the projector and the policies and workers
that follow the notification log (complaint intake and SLA scheduler,
appointment reminders, satisfaction surveys, the campaign sender, partner
webhooks, the retention job).

`contacthub serve` runs them in a process of their own beside its HTTP
process (services/entry/workers/followers.py); the tests' in-process hub runs
them in its own process. Both start and stop them here, in this order.
"""

from __future__ import annotations

from services.wiring.hub import Hub


def start_followers(hub: Hub) -> None:
    """Catches the views up, then starts every follower's thread."""
    hub.projector.catch_up()
    hub.projector.start()
    hub.complaints.start()
    hub.reminders.start()
    hub.surveys.start()
    hub.campaign_sender.start()
    hub.partner_webhooks.start()
    if hub.settings.retention_months is not None:
        hub.retention_job.start()
        hub.retention_job.wake()  # a first run at start-up, then each interval


def stop_followers(hub: Hub) -> None:
    """Stops them, the workers that write first, the projector last (it
    projects what they wrote on its way out)."""
    hub.campaign_sender.stop()
    hub.partner_webhooks.stop()
    hub.reminders.stop()
    hub.surveys.stop()
    hub.complaints.stop()
    if hub.built("retention_job"):
        hub.retention_job.stop()
    hub.projector.stop()
