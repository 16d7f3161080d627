from .platform import tenant_resume, tenant_suspend
from .provisioning import ProvisionResult, schema_name_for, signup_validate, tenant_provision
from .usage import pool_number_take, seat_days_record, usage_record

__all__ = [
    "ProvisionResult",
    "pool_number_take",
    "schema_name_for",
    "seat_days_record",
    "signup_validate",
    "tenant_provision",
    "tenant_resume",
    "tenant_suspend",
    "usage_record",
]
