"""Routing-cache invalidation: a committed change to anything a DID's route is made of drops the
routing endpoint's cached routes (:class:`apps.sip.services.routing.RouteCache`)."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from apps.sip.models import TrunkAddress
from apps.sip.services.routing import route_cache
from apps.telephony.models import PhoneNumber, Trunk
from apps.tenants.models import PoolNumber, Tenant

ROUTE_MODELS = (PoolNumber, Tenant, TrunkAddress, PhoneNumber, Trunk)


def _route_changed(sender, **kwargs) -> None:
    # Everywhere after commit (earlier, a concurrent read could cache the old rows again under
    # the new version); this process's own entries at once as well.
    route_cache.clear_local()
    transaction.on_commit(route_cache.invalidate)


def connect() -> None:
    for model in ROUTE_MODELS:
        post_save.connect(_route_changed, sender=model, dispatch_uid=f"sip-route-{model.__name__}-save")
        post_delete.connect(_route_changed, sender=model, dispatch_uid=f"sip-route-{model.__name__}-delete")
