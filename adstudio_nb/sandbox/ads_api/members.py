"""The Ads API's people: business members, their ad accounts, invitations, account members.

Owns ``/businesses/{id}/members`` (the caller first, as the spec's convention says; pending
invitations only for admins), one member, a member's ad accounts (their own roles in
``ad_account_role``; another member's only for admins), ``/businesses/{id}/invitations``
(admins only: the spec's ``ADS_BUSINESS_MEMBER_VIEW_ALL``) and ``/ad_accounts/{id}/members``.
Roles are the data set's (``data/people.py``), the same the ad account answers show. Never
checks tokens, rate limits or faults: the application does that before calling a handler.
"""

from __future__ import annotations

from typing import Any

from werkzeug.routing import Rule

from ..context import ApiContext
from ..data.people import Member
from ..errors import ads_error
from .listing import whole_listing
from .query import ACCOUNT_PREFIX, V3, Query, account_for, business_for

_MEMBER_PREFIX = f"{V3}/businesses/<business_id>/members"


def _visible_members(ctx: ApiContext, business_id: str) -> tuple[Any, list[Member]]:
    business = business_for(ctx, business_id)
    people = ctx.data.people
    members = (
        people.members(business)
        if people.is_admin(ctx.user_id, business)
        else people.accepted(business)
    )
    # The spec: "By convention, the first member in the response is always the calling user."
    members.sort(key=lambda m: m.member_id != ctx.user_id)
    return business, members


def _member(ctx: ApiContext, business: Any, member_id: str) -> Member:
    found = ctx.data.people.member(business, member_id)
    if found is None:
        raise ads_error(
            404, f"Member {member_id[:60]} not found in this business.", code="NOT_FOUND"
        )
    return found


def get_business_members(ctx: ApiContext, business_id: str) -> dict[str, Any]:
    """``GET /businesses/{id}/members``: the caller first; invitations for admins only."""
    Query(ctx.request)
    _, members = _visible_members(ctx, business_id)
    return {"members": [m.to_json() for m in members], "paging": whole_listing(ctx, members)}


def get_business_member(ctx: ApiContext, business_id: str, member_id: str) -> dict[str, Any]:
    """``GET /businesses/{id}/members/{member_id}``."""
    Query(ctx.request)
    business = business_for(ctx, business_id)
    return _member(ctx, business, member_id).to_json()


def get_member_ad_accounts(ctx: ApiContext, business_id: str, member_id: str) -> dict[str, Any]:
    """``GET /businesses/{id}/members/{member_id}/ad_accounts``: with that member's roles."""
    Query(ctx.request)
    business = business_for(ctx, business_id)
    member = _member(ctx, business, member_id)
    if member_id != ctx.user_id and not ctx.data.people.is_admin(ctx.user_id, business):
        raise ads_error(
            403, "Only business admins can see another member's ad accounts.", code="FORBIDDEN"
        )
    accounts = [a for a in ctx.data.ad_accounts_of(business.id) if member.role_on(a.id)]
    body = [a.to_json(member.role_on(a.id) or "AD_ACCOUNT_VIEWER") for a in accounts]
    return {"ad_accounts": body, "paging": whole_listing(ctx, accounts)}


def get_pending_invitations(ctx: ApiContext, business_id: str) -> dict[str, Any]:
    """``GET /businesses/{id}/invitations``: admins only."""
    Query(ctx.request)
    business = business_for(ctx, business_id)
    if not ctx.data.people.is_admin(ctx.user_id, business):
        raise ads_error(
            403, "Only business admins can see the pending invitations.", code="FORBIDDEN"
        )
    pending = ctx.data.people.pending(business)
    return {"business_invitations": [m.to_invitation_json() for m in pending]}


def get_ad_account_members(ctx: ApiContext, ad_account_id: str) -> dict[str, Any]:
    """``GET /ad_accounts/{id}/members``: every member with a role on the account."""
    Query(ctx.request)
    account = account_for(ctx, ad_account_id)
    members = ctx.data.people.account_members(account)
    members.sort(key=lambda m: m.member_id != ctx.user_id)
    return {
        "ad_account_members": [m.to_account_member_json(account.id) for m in members],
        "paging": whole_listing(ctx, members),
    }


ROUTES: list[Rule] = [
    Rule(_MEMBER_PREFIX, endpoint=get_business_members, methods=["GET"]),
    Rule(f"{_MEMBER_PREFIX}/<member_id>", endpoint=get_business_member, methods=["GET"]),
    Rule(
        f"{_MEMBER_PREFIX}/<member_id>/ad_accounts",
        endpoint=get_member_ad_accounts,
        methods=["GET"],
    ),
    Rule(
        f"{V3}/businesses/<business_id>/invitations",
        endpoint=get_pending_invitations,
        methods=["GET"],
    ),
    Rule(f"{ACCOUNT_PREFIX}/members", endpoint=get_ad_account_members, methods=["GET"]),
]
"""The member routes."""
