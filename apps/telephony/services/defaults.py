"""Default rows for a new tenant (pause reasons, dispositions, a skill and a queue). STUB: H6 fills it."""


def seed_tenant_defaults(tenant) -> None:
    return None
