"""The one way tests build a :class:`~apps.telephony.engine.controller.CallController`.

Every engine test module used to wire the controller by hand (clock, driver, ACD, store, queues,
numbers, the DbStore's reservation callback), each a little differently; a change to the
controller's construction had to be made in all of them. The tests now say what differs (the
store, the driver, the queues and numbers) and this module does the wiring.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from apps.telephony.acd import Acd
from apps.telephony.engine.clock import Clock
from apps.telephony.engine.config import NumberSettings, QueueSettings
from apps.telephony.engine.controller import CallController
from apps.telephony.engine.dbstore import DbStore
from apps.telephony.engine.drivers.base import SwitchDriver
from apps.telephony.engine.drivers.sim import SimNumber
from apps.telephony.engine.store import Store


def make_controller(
    *,
    clock: Clock,
    driver: SwitchDriver,
    store: Store,
    queues: Iterable[QueueSettings] = (),
    numbers: Iterable[NumberSettings] = (),
    use_ivr: bool = False,
) -> CallController:
    """A controller on ``driver`` and ``store`` with a fresh ACD, ``queues`` set and ``numbers``
    routed. A :class:`DbStore` is told where to report a lost reservation, as the runner does."""
    controller = CallController(clock=clock, driver=driver, acd=Acd(), store=store, use_ivr=use_ivr)
    if isinstance(store, DbStore):
        store.reservation_lost = controller.reservation_lost
    for queue in queues:
        controller.set_queue(queue)
    for number in numbers:
        controller.numbers[number.number_id] = number
    return controller


def plant_routing(plant: dict[str, Any]) -> tuple[QueueSettings, NumberSettings, SimNumber]:
    """The engine's view of a database plant fixture (``trunk``, ``queue``, ``number`` rows): the
    queue's settings, the number routed to it, and the number the simulated switch rings."""
    queue, number, trunk = plant["queue"], plant["number"], plant["trunk"]
    settings = NumberSettings(number_id=number.pk, number=number.number, trunk_id=trunk.pk, queue_id=queue.pk)
    return (
        QueueSettings.from_model(queue, {}),
        settings,
        SimNumber(number_id=number.pk, number=number.number, trunk_id=trunk.pk),
    )
