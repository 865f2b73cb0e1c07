"""The single routes table of the sandbox's Ads API: every endpoint family's routes, assembled.

Owns :data:`FAMILIES` (the family modules, in mounting order) and :data:`RULES` (their routes),
which the application mounts behind the bearer check. Adding an endpoint family is adding one
module that exports ``ROUTES`` and naming it here. Never defines a handler.
"""

from __future__ import annotations

from types import ModuleType

from werkzeug.routing import Rule

from . import (
    ad_accounts,
    ad_sets,
    ads,
    aggregate_reports,
    assets,
    async_reports,
    audiences,
    businesses,
    campaigns,
    change_history,
    drafts,
    insights,
    measurement,
    members,
    targets,
    totals,
    v1,
)

FAMILIES: tuple[ModuleType, ...] = (
    businesses,
    ad_accounts,
    campaigns,
    ad_sets,
    ads,
    assets,
    audiences,
    drafts,
    change_history,
    members,
    measurement,
    targets,
    v1,
    aggregate_reports,
    totals,
    insights,
    async_reports,
)
"""Every endpoint family of the sandbox's Ads API; each exports ``ROUTES``."""

RULES: list[Rule] = [rule for family in FAMILIES for rule in family.ROUTES]
"""Every Ads API route of the sandbox; ``app.py`` mounts them behind the bearer check."""
