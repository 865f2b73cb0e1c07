"""The people of the data set: business members, their ad account roles, pending invitations.

Owns who belongs to each business and with which roles: the demo users where the generator
puts them (``alex.analyst`` in every business, ``sam.smallbiz`` in the last), with exactly the
``ad_account_role`` the ad account answers show them (``AdsObjects.role_of``), plus seeded
colleagues (one of whom administers every account, so no account lacks an admin) and pending
invitations. Everything is derived from ``(seed, business id)`` on demand. Never does HTTP,
never reads the clock after construction.
"""

from __future__ import annotations

import functools
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from .constants import DEMO_ALL_BUSINESSES_USER, DEMO_ONE_BUSINESS_USER, iso
from .generator import AdsObjects
from .objects import AdAccount, Business

BUSINESS_ADMIN = "BUSINESS_ADMIN"
BUSINESS_MEMBER = "BUSINESS_MEMBER"
ACCOUNT_ROLES = ("AD_ACCOUNT_ADMIN", "AD_ACCOUNT_CONTRIBUTOR", "AD_ACCOUNT_VIEWER")
_DEMO_NAMES = {
    DEMO_ALL_BUSINESSES_USER: ("Alex Analyst", "alex.analyst@example.com"),
    DEMO_ONE_BUSINESS_USER: ("Sam Small-Business", "sam@kvarnen.example.com"),
}
_FIRST = ("Robin", "Kim", "Maja", "Noah", "Priya", "Lars", "Ines", "Tomas", "Aiko", "Omar")
_LAST = ("Berg", "Lindqvist", "Okafor", "Silva", "Novak", "Keller", "Moreau", "Tanaka")


@dataclass(frozen=True, eq=False)
class Member:
    """A business member (or an invited user, ``status`` PENDING) and their account roles."""

    id: str
    member_id: str
    business_id: str
    name: str
    email: str
    role: str
    status: str
    created_at: datetime
    marketing_opt_in: bool
    account_roles: tuple[tuple[str, str], ...]

    def role_on(self, ad_account_id: str) -> str | None:
        """Return this member's role on an ad account, or None."""
        return next((r for a, r in self.account_roles if a == ad_account_id), None)

    def to_json(self) -> dict[str, object]:
        """Return the spec's ``BusinessMemberResponse``."""
        body: dict[str, object] = {
            "id": self.id,
            "role": self.role,
            "name": self.name,
            "email_address": self.email,
            "member_id": self.member_id,
            "permission_status": self.status,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.created_at),
            "business_id": self.business_id,
            "has_marketing_opt_in": self.marketing_opt_in,
        }
        if self.status == "PENDING":
            body["ad_account_invitations"] = self._invitations()
        else:
            body["assigned_ad_accounts"] = len(self.account_roles)
        return body

    def to_account_member_json(self, ad_account_id: str) -> dict[str, object]:
        """Return the spec's ``AdAccountMemberResponse`` on one ad account."""
        return {
            "member_id": self.member_id,
            "role": self.role_on(ad_account_id),
            "name": self.name,
            "email_address": self.email,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.created_at),
            "ad_account_id": ad_account_id,
        }

    def to_invitation_json(self) -> dict[str, object]:
        """Return the spec's ``PendingBusinessInvitation``."""
        return {
            "business_invitation_id": self.id,
            "email_address": self.email,
            "role": self.role,
            "ad_account_invitations": self._invitations(),
        }

    def _invitations(self) -> list[dict[str, str]]:
        return [{"ad_account_id": a, "role": r} for a, r in self.account_roles]


class People:
    """The members of every business of a data set, derived on demand.

    Args:
        objects: the data set's objects (businesses, ad accounts and the demo users' roles).
    """

    def __init__(self, objects: AdsObjects) -> None:
        self.objects = objects
        self._members = functools.lru_cache(maxsize=256)(self._build_members)

    def members(self, business: Business) -> list[Member]:
        """Return a business's members, the pending invitations last."""
        return list(self._members(business))

    def accepted(self, business: Business) -> list[Member]:
        """Return a business's members who accepted their invitation."""
        return [m for m in self._members(business) if m.status == "ACCEPTED"]

    def pending(self, business: Business) -> list[Member]:
        """Return a business's pending invitations."""
        return [m for m in self._members(business) if m.status == "PENDING"]

    def member(self, business: Business, member_id: str) -> Member | None:
        """Return an accepted member of a business by Spotify user id, or None."""
        return next((m for m in self.accepted(business) if m.member_id == member_id), None)

    def is_admin(self, user_id: str, business: Business) -> bool:
        """Tell whether ``user_id`` administers the business."""
        found = self.member(business, user_id)
        return found is not None and found.role == BUSINESS_ADMIN

    def account_members(self, account: AdAccount) -> list[Member]:
        """Return the accepted members who hold a role on an ad account."""
        business = self.objects.business(account.business_id)
        if business is None:
            return []
        return [m for m in self.accepted(business) if m.role_on(account.id)]

    def _build_members(self, business: Business) -> tuple[Member, ...]:
        objects = self.objects
        accounts = objects.ad_accounts_of(business.id)
        rng = random.Random(f"{objects.seed}:members:{business.id}")
        joined = business.created_at + timedelta(days=1)
        out: list[Member] = []
        for user_id in (DEMO_ALL_BUSINESSES_USER, DEMO_ONE_BUSINESS_USER):
            if business not in objects.businesses_for_user(user_id):
                continue
            name, email = _DEMO_NAMES[user_id]
            is_owner = business.index == 0 or user_id == DEMO_ONE_BUSINESS_USER
            out.append(
                Member(
                    id=_uuid(rng),
                    member_id=user_id,
                    business_id=business.id,
                    name=name,
                    email=email,
                    role=BUSINESS_ADMIN if is_owner else BUSINESS_MEMBER,
                    status="ACCEPTED",
                    created_at=joined,
                    marketing_opt_in=False,
                    # B2: the very roles the ad account answers show this user.
                    account_roles=tuple((a.id, objects.role_of(user_id, a)) for a in accounts),
                )
            )
        domain = business.name.split()[0].lower() + ".example.com"
        colleagues = 1 if business.index == len(objects.businesses()) - 1 else rng.randint(2, 4)
        for i in range(colleagues + rng.randint(0, 2)):
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            pending = i >= colleagues
            if i == 0:  # every account has an admin
                roles = tuple((a.id, ACCOUNT_ROLES[0]) for a in accounts)
            else:
                chosen = [a for a in accounts if rng.random() < 0.6] or accounts[:1]
                roles = tuple((a.id, rng.choice(ACCOUNT_ROLES)) for a in chosen)
            out.append(
                Member(
                    id=_uuid(rng),
                    member_id=f"{first.lower()}.{last.lower()}.{rng.randint(10, 99)}",
                    business_id=business.id,
                    name=f"{first} {last}",
                    email=f"{first.lower()}.{last.lower()}@{domain}",
                    role=BUSINESS_ADMIN if i == 0 else BUSINESS_MEMBER,
                    status="PENDING" if pending else "ACCEPTED",
                    created_at=joined + timedelta(days=rng.randint(1, 300)),
                    marketing_opt_in=rng.random() < 0.3,
                    account_roles=roles,
                )
            )
        return tuple(sorted(out, key=lambda m: m.status == "PENDING"))


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))
