"""Who may read and who may change customers (API and pages alike)."""

from apps.accounts.choices import Role

WRITE_ROLES = (Role.TENANT_ADMIN, Role.SUPERVISOR)
READ_ROLES = tuple(Role.values)  # every tenant role
