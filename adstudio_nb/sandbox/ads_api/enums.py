"""The spec's enum values that more than one Ads API endpoint family accepts as a filter.

Owns the status enums of campaigns, ad sets and ads as the spec lists them (wider than what
the data set generates: a filter on a status no object has is valid and matches nothing).
Never holds logic; imports only the data set's generated statuses.
"""

from __future__ import annotations

from ..data import AD_SET_STATUSES, AD_STATUSES

CAMPAIGN_STATUS_ENUM = (
    "UNSET",
    "ACTIVE",
    "PAUSED",
    "ARCHIVED",
    "AGENT_CONTROLLED",
    "ACTIVE_RESTRICTED",
    "PENDING_ADVERTISER_REVIEW",
    "UNRECOGNIZED",
)
AD_SET_STATUS_ENUM = (*AD_SET_STATUSES, "ACTIVE_RESTRICTED")
AD_STATUS_ENUM = (*AD_STATUSES, "FAILED", "UNRECOGNIZED")
