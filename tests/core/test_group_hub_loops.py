"""GroupHub keys its hubs by id(event loop): a loop that is gone can leave its id to a new one."""

from __future__ import annotations

import asyncio

from asgiref.sync import async_to_sync

from apps.core.consumers import GroupHub


class _Member:
    wire = None
    snapshot_at = 0.0
    held = None

    def __init__(self) -> None:
        self.received: list[str] = []

    async def send(self, text_data: str) -> None:
        self.received.append(text_data)


def test_a_hub_of_another_loop_under_the_same_key_is_not_reused(db):
    other_loop = asyncio.new_event_loop()
    stale = GroupHub("hub-loop-test")
    stale.task = other_loop.create_task(asyncio.sleep(3600))  # never runs: its loop is not running
    member = _Member()

    async def scenario():
        loop = asyncio.get_running_loop()
        GroupHub._hubs[(id(loop), "hub-loop-test")] = stale  # as if a dead loop had had this id
        await GroupHub.join("hub-loop-test", member)
        hub = GroupHub._hubs[(id(loop), "hub-loop-test")]
        await hub.deliver('{"type": "ping"}')
        GroupHub.leave("hub-loop-test", member)
        return hub

    try:
        hub = async_to_sync(scenario)()
    finally:
        stale.task.cancel()
        other_loop.run_until_complete(asyncio.sleep(0))
        other_loop.close()
    assert hub is not stale and hub.task.get_loop() is not other_loop
    assert member.received == ['{"type": "ping"}']
