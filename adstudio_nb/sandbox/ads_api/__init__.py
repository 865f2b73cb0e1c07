"""The sandbox's Ads API: one module per endpoint family, assembled in ``routes.py``.

Layout, bottom up (a module imports only those above it, never a sibling family):

* ``query.py``: strict reading of query strings, ``bad_request``, ``check_uuid``, the access
  checks on ad accounts and businesses, the path prefixes.
* ``listing.py``: offset paging, sorting, the name and ``fields`` filters (B3).
* ``enums.py``: status enums several families accept.
* ``report_common.py``: what the report families share (time ranges, fields, counts).
* one module per family, each exporting ``ROUTES``: ``businesses``, ``ad_accounts``,
  ``campaigns``, ``ad_sets``, ``ads``, ``assets``, ``audiences``, ``drafts``,
  ``change_history``, ``members``, ``measurement``, ``targets`` (lookups, ad categories,
  podcast shows), ``v1``, ``aggregate_reports``, ``totals``, ``insights``, ``async_reports``.
* ``routes.py``: :data:`RULES`, the one table the application mounts.

Handlers receive an :class:`~adstudio_nb.sandbox.context.ApiContext` after the application has
checked the token, the rate limits and the faults; none of them does that itself.

Example:
    With a token from the sandbox's accounts service (``sb.token_url``)::

        with Sandbox(seed=0) as sb:
            requests.get(sb.api_base_url + "/businesses",
                         headers={"Authorization": f"Bearer {token}"}).json()
"""

from .routes import RULES

__all__ = ["RULES"]
