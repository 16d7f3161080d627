"""The default IVR of a new tenant. STUB: H7 fills it."""


def seed_default_ivr(tenant) -> None:
    return None
