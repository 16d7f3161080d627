"""Erlang B/C staffing maths for the departments (workforce staffing).

The maths live with the engine (apps/telephony/engine/erlang.py: the ``simulate`` command is
tested against them), but departments never import ``telephony.engine`` (ARCHITECTURE §10):
this module is their one door to the same functions, so there is still one definition.
"""

from __future__ import annotations

from apps.telephony.engine.erlang import (
    Staffing,
    average_speed_of_answer,
    erlang_b,
    erlang_c,
    occupancy,
    required_agents,
    service_level,
    traffic_erlangs,
)

__all__ = [
    "Staffing",
    "average_speed_of_answer",
    "erlang_b",
    "erlang_c",
    "occupancy",
    "required_agents",
    "service_level",
    "traffic_erlangs",
]
