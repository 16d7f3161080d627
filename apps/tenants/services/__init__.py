from .platform import pool_numbers_add, tenant_number_assign, tenant_resume, tenant_suspend
from .provisioning import ProvisionResult, schema_name_for, signup_validate, tenant_provision
from .usage import pool_number_take, seat_days_record, usage_record

__all__ = [
    "ProvisionResult",
    "pool_number_take",
    "pool_numbers_add",
    "schema_name_for",
    "seat_days_record",
    "signup_validate",
    "tenant_number_assign",
    "tenant_provision",
    "tenant_resume",
    "tenant_suspend",
    "usage_record",
]
