"""The accounts app's pages, one module per concern (users, teams, two_factor).

``role_required`` is re-exported here: every app's pages import it from ``apps.accounts.views``.
"""

from apps.accounts.views.users import role_required

__all__ = ["role_required"]
