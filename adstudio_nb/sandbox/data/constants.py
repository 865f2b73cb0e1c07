"""The data set's enums, units and formats: what every part of the data set and the API share.

Owns the time units (hours and days as integer indexes since the epoch), the demo users'
memberships, the entity levels, the spec's report fields, the statuses the generator gives
objects, and the API's time format. Never generates anything and imports no other sandbox
module.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

DAY_H = 24
HOUR_S = 3600
DAY_S = 86400

DEMO_ALL_BUSINESSES_USER = "alex.analyst"
DEMO_ONE_BUSINESS_USER = "sam.smallbiz"
DEMO_NO_BUSINESS_USER = "nina.newcomer"

# The spec's ReportFieldType enum, every value of which the generator can answer.
REPORT_FIELDS: tuple[str, ...] = (
    "CLICKS",
    "COMPLETES",
    "COMPLETION_RATE",
    "CONVERSION_RATE",
    "CTR",
    "E_CPCL",
    "FIRST_QUARTILES",
    "FREQUENCY",
    "IMPRESSIONS",
    "INTENT_RATE",
    "LISTENERS",
    "MIDPOINTS",
    "NEW_LISTENERS",
    "NEW_LISTENER_CONVERSION_RATE",
    "NEW_LISTENER_STREAMS",
    "OFF_SPOTIFY_IMPRESSIONS",
    "PAID_LISTENS",
    "PAID_LISTENS_FREQUENCY",
    "PAID_LISTENS_REACH",
    "REACH",
    "SKIPS",
    "SPEND",
    "STARTS",
    "STREAMS",
    "STREAMS_PER_NEW_LISTENER",
    "STREAMS_PER_USER",
    "THIRD_QUARTILES",
    "VIDEO_VIEWS",
    "VIDEO_EXPANDS",
    "VIDEO_EXPAND_RATE",
    "UNMUTES",
    "PAGE_VIEWS",
    "LEADS",
    "ADD_TO_CART",
    "PURCHASES",
    "REVENUE",
    "AVERAGE_ORDER_VALUE",
    "RETURN_ON_AD_SPEND",
    "CUSTOMER_ACQUISITION_COST",
    "COST_PER_LEAD",
    "START_CHECKOUT",
    "PRODUCTS",
    "SIGN_UPS",
    "CUSTOM_EVENT_1",
    "CUSTOM_EVENT_2",
    "CUSTOM_EVENT_3",
    "CUSTOM_EVENT_4",
    "CUSTOM_EVENT_5",
    "STREAMED_IMPRESSIONS",
)

ENTITY_LEVELS = ("AD_ACCOUNT", "CAMPAIGN", "AD_SET", "AD")
# Reach is deduplicated within an entity, more so the higher the level (more overlap).

CAMPAIGN_STATUSES = ("ACTIVE", "PAUSED", "ARCHIVED")
AD_SET_STATUSES = (
    "ACTIVE",
    "APPROVED",
    "ARCHIVED",
    "COMPLETED",
    "PENDING_APPROVAL",
    "READY",
    "REJECTED",
)
AD_STATUSES = ("ACTIVE", "APPROVED", "ARCHIVED", "PENDING", "PENDING_APPROVAL", "REJECTED")


def iso(dt: datetime) -> str:
    """Format an aware datetime as the API does: ISO 8601 UTC with ``Z`` (B2)."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def hour_datetime(hour: int) -> datetime:
    """Return the UTC datetime at the start of hour index ``hour`` (hours since the epoch)."""
    return datetime.fromtimestamp(hour * HOUR_S, tz=UTC)


def id_key(uid: str) -> int:
    """Return a UUID string as an integer, to seed what is derived from that object."""
    return uuid.UUID(uid).int
