"""Campaigns, their sends and what recipients did afterwards (attribution)."""

from projections.campaigns.view import Campaigns, CampaignsPostgres, CampaignsSQLite

__all__ = ["Campaigns", "CampaignsPostgres", "CampaignsSQLite"]
