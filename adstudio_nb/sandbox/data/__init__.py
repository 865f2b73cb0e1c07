"""The sandbox's seeded ads data: businesses, ad accounts, campaigns, ad sets, ads, assets, stats.

Owns what the emulated Ads API (``ads_api``) answers with. Nothing is built at start-up: every
object is derived on demand from ``(seed, parent id, index)`` and cached lightly, so the same
seed always gives the same answer and a data set of 50 ad accounts, 10,000 campaigns or a
million report rows costs nothing until asked for. Never does HTTP, never validates requests:
handlers do. Never imports the Ads API or the application.

Layout, bottom up (a module imports only those above it):

* ``constants.py``: time units, demo users, entity levels, report fields, statuses, formats.
* ``catalog.py``: Spotify's lookup tables (targets, ad categories, podcast shows).
* ``metrics.py``: count vectors, exact splits, report values from counts (B5, B7).
* ``objects.py``: the records and their JSON in the spec's schemas.
* ``generator.py``: :class:`AdsObjects`, the seeded object generator (B1-B4).
* ``delivery.py``: :class:`Delivery`, each entity's counts by hour and day up to "now".
* ``people.py``: business members, their ad account roles, pending invitations.
* ``measurement.py``: datasets, pixels, CAPI integrations, mobile apps, experiments.
* ``audiences.py``: each ad account's audiences, which its ad sets target.
* ``drafts.py``: drafts of existing campaigns, ad sets and ads.
* ``history.py``: the change history read off the objects' ``created_at``/``updated_at``.
* ``dataset.py``: :class:`AdsData`, the objects and their delivery behind one object.

Stats model (B5, B7). Delivery is generated per ad set and UTC day as a vector of additive
counts (:data:`BASE_METRICS`), split exactly across the ad set's ads and, for partial days and
hourly reports, across hours; every child count is split in proportion to its parent count's
split (clicks follow impressions, completes follow third quartiles ...), so an ad never has more
clicks than impressions in any hour. Ad sets are sums of their ads, campaigns of their ad sets,
accounts of their campaigns: the sums hold exactly at every granularity, and a day is exactly
the sum of its hours. Delivery happens only inside an ad set's flight and only in hours that have
ended by the sandbox clock's "now"; moving the clock reveals more data. ``SPEND`` and
``REVENUE`` are kept in integer micros internally and reported in currency units (B7).
Ratios are computed from the summed counts: ``CTR``, ``COMPLETION_RATE``, ``VIDEO_EXPAND_RATE``,
``CONVERSION_RATE``, ``NEW_LISTENER_CONVERSION_RATE`` and ``INTENT_RATE`` are percentages
(0.56 means 0.56 %, as in the spec's example), ``FREQUENCY`` is impressions per reached
listener. Reach is not additive: it is derived from impressions and the length of the bucket,
so it never exceeds impressions. Conversion counts between 1 and 4 are reported as ``-5`` (B7).

Example:
    >>> from adstudio_nb.sandbox.clock import SandboxClock
    >>> data = AdsData(seed=0, clock=SandboxClock(start=1_767_225_600.0))
    >>> [b.name for b in data.businesses_for_user("sam.smallbiz")]
    ['Kvarnen Bike Shop']
    >>> data.businesses_for_user("nina.newcomer")
    []
"""

from .constants import (
    AD_SET_STATUSES,
    AD_STATUSES,
    CAMPAIGN_STATUSES,
    DAY_H,
    DAY_S,
    DEMO_ALL_BUSINESSES_USER,
    DEMO_NO_BUSINESS_USER,
    DEMO_ONE_BUSINESS_USER,
    ENTITY_LEVELS,
    HOUR_S,
    REPORT_FIELDS,
    hour_datetime,
    iso,
)
from .dataset import AdsData
from .delivery import Delivery
from .generator import AdsObjects
from .metrics import (
    BASE_METRICS,
    CONVERSION_COUNTS,
    PRIVACY_SENTINEL,
    ZERO,
    Vector,
    add_vectors,
    split,
    split_vector,
)
from .objects import Ad, AdAccount, AdSet, Asset, Business, Campaign

__all__ = [
    "AD_SET_STATUSES",
    "AD_STATUSES",
    "BASE_METRICS",
    "CAMPAIGN_STATUSES",
    "CONVERSION_COUNTS",
    "DAY_H",
    "DAY_S",
    "DEMO_ALL_BUSINESSES_USER",
    "DEMO_NO_BUSINESS_USER",
    "DEMO_ONE_BUSINESS_USER",
    "ENTITY_LEVELS",
    "HOUR_S",
    "PRIVACY_SENTINEL",
    "REPORT_FIELDS",
    "ZERO",
    "Ad",
    "AdAccount",
    "AdSet",
    "AdsData",
    "AdsObjects",
    "Asset",
    "Business",
    "Campaign",
    "Delivery",
    "Vector",
    "add_vectors",
    "hour_datetime",
    "iso",
    "split",
    "split_vector",
]
