"""The draw of a sampling rule in SQL: a million calls in about two seconds, and exactly the draw
apps/qa/sampling.py defines in Python (the tests compare the two).

A group's quota q of its n calls is among the calls whose key (an md5 in hex) starts below
``(3q + 10) / n`` of the key space — about 3q + 10 calls, a few per cent of a large group — since
calls are ranked by key and the key's prefix orders them. So the draw never sorts a million
calls; it reads them once or twice:

0. **Sets** — the period's calls that were transferred (a timeline event), carry one of the
   rule's analysis flags, or are taken already (evaluated, or sampled by another rule and not
   skipped; this rule's own samples are not taken: that is what makes a second run find them
   again). Small: read once, then looked up per call in a hash.
1. **Groups** — one scan of the eligible calls, grouped by the draw's groups (the agent and/or
   strata) by hashing: how many calls each has, the always-included calls (the first matching
   test is the reason), and the calls whose key starts below a prefix common to all groups
   (1/16 of the key space, more for a large percentage). A group whose own limit lies below
   that prefix — a large group, the usual case — is drawn from these alone.
2. **Candidates** of the other groups (small ones, or short of recorded candidates) — a second
   scan, each call looking its group's limit up in a JSON object (no join whose plan a wrong row
   estimate could spoil); a group still short is drawn over all its calls.
3. **Recordings and details** by key: which picks have a recording (when the rule asks for one,
   a call without one is passed over, the quota still counting it), uid, arrival, and whether
   this rule has assigned the call already.

The filtered calls sit behind ``OFFSET 0``, so the always-include tests are evaluated once per
call rather than once per use of their result; the sets are tested as subqueries, which
PostgreSQL hashes once (``= ANY(array)`` it would scan for every call in a select list).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection

from apps.qa import sampling as rules
from apps.qa.choices import AssignmentStatus, EvaluationKind, SampleReason
from apps.qa.models import Assignment, Evaluation, SamplingRule
from apps.qa.selectors.sampling import analysis_flagged_call_ids
from apps.telephony.choices import CallEndReason
from apps.telephony.models import Agent, Call, CallEvent, Recording

FULL = "g"  # above every hex key: the whole group is a candidate
COMMON = 1 / 16  # the smallest common prefix statement 1 collects (of the key space)
# Id lists travel as one text parameter (quoting a list of a hundred thousand numbers one by one
# costs the client more than the query costs the server).
IDS = "string_to_array(%s, ',')::bigint[]"
IN_SET = f"SELECT unnest({IDS})"
# A group's key: never NULL (a call without a queue or campaign is its own group, 0).
GROUP_EXPRESSIONS = {
    "agent": "c.agent_id",
    "queue": "COALESCE(c.queue_id, 0)",
    "campaign": "COALESCE(c.campaign_id, 0)",
    "direction": "c.direction",
}


@dataclass
class Drawn:
    """One picked call, in draw order (by ``key``, then id); ``uid`` … ``assignee_id`` are read
    after the draw."""

    call_id: int
    agent_id: int | None
    reason: str
    key: str
    uid: str = ""
    arrived_at: datetime | None = None
    agent_user_id: int | None = None
    existing: bool = False
    assignee_id: int | None = None


@dataclass
class _Calls:
    """The eligible calls as a fenced subquery (alias ``e``: id, agent_id, k — the draw key —,
    the group columns ``g_<key>``, reason), and its parameters."""

    keys: tuple[str, ...]
    sql: str
    params: list[Any]
    salt: str

    @property
    def columns(self) -> list[str]:
        return [f"g_{key}" for key in self.keys]


def _ids(ids: Iterable[int]) -> str:
    return ",".join(map(str, ids))


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _sets(cursor, rule: SamplingRule, since: datetime, until: datetime) -> dict[str, list[int]]:
    """Statement 0: the id sets of the period's calls (absent when the rule does not ask)."""
    parts: dict[str, tuple[str, list[Any]]] = {}
    if rule.include_transfers:
        parts["transferred"] = (
            f"SELECT t.call_id FROM {_table(CallEvent)} t WHERE t.kind = 'transferred' AND t.at >= %s AND t.at < %s",  # noqa: S608
            [since, until + timedelta(days=1)],
        )
    if rule.include_analysis_flags:
        flagged_sql, flagged_params = analysis_flagged_call_ids(rule.include_analysis_flags, since, until)
        parts["flagged"] = (flagged_sql, list(flagged_params))
    if rule.exclude_evaluated:
        # Bounded by time so that years of evaluations and samples are not read: an evaluation is
        # made after its call arrived, and a call of this period sampled by any rule has that
        # rule's period starting at most a month before this one.
        first, last = since.date() - timedelta(days=31), until.date()
        parts["taken"] = (
            f"SELECT e.call_id FROM {_table(Evaluation)} e WHERE e.kind = %s AND e.created_at >= %s"  # noqa: S608
            f" UNION SELECT a.call_id FROM {_table(Assignment)} a WHERE a.rule_id IS DISTINCT FROM %s"
            " AND a.status <> %s AND a.period_start >= %s AND a.period_start < %s",
            [EvaluationKind.REGULAR, since, rule.pk, AssignmentStatus.SKIPPED, first, last],
        )
        parts["own"] = (
            f"SELECT a.call_id FROM {_table(Assignment)} a WHERE a.rule_id = %s"  # noqa: S608 - table name
            " AND a.period_start >= %s AND a.period_start < %s",
            [rule.pk, first, last],
        )
    if not parts:
        return {}
    names = list(parts)
    cursor.execute(
        "SELECT " + ", ".join(f"ARRAY({parts[name][0]})" for name in names),
        [param for name in names for param in parts[name][1]],
    )
    found = {name: set(value or []) for name, value in zip(names, cursor.fetchone(), strict=True)}
    if "taken" in found:
        found["taken"] -= found.pop("own")
    return {name: sorted(ids) for name, ids in found.items()}


def _calls(rule: SamplingRule, since: datetime, until: datetime, sets: dict[str, list[int]], salt: str) -> _Calls:
    tests: list[str] = []
    params: list[Any] = []
    if rule.include_csat_at_most is not None:
        tests.append("WHEN c.survey_score <= %s THEN %s")
        params += [rule.include_csat_at_most, SampleReason.LOW_CSAT]
    disposition_ids = list(rule.include_dispositions.values_list("pk", flat=True))
    if disposition_ids:
        tests.append("WHEN c.disposition_id = ANY(%s) THEN %s")
        params += [disposition_ids, SampleReason.COMPLAINT]
    if rule.include_transfers:
        tests.append(f"WHEN c.end_reason = %s OR c.id IN ({IN_SET}) THEN %s")
        params += [CallEndReason.TRANSFERRED, _ids(sets["transferred"]), SampleReason.TRANSFER]
    if rule.include_hold_seconds_over is not None:
        tests.append("WHEN c.hold_seconds > %s THEN %s")
        params += [rule.include_hold_seconds_over, SampleReason.LONG_HOLD]
    if rule.include_analysis_flags:
        tests.append(f"WHEN c.id IN ({IN_SET}) THEN %s")
        params += [_ids(sets["flagged"]), SampleReason.ANALYSIS]
    reason = f"CASE {' '.join(tests)} END" if tests else "NULL::text"

    where = [
        "c.arrived_at >= %s",
        "c.arrived_at < %s",
        "c.agent_id IS NOT NULL",
        "c.answered_at IS NOT NULL",
        "c.talk_seconds >= %s",
    ]
    params += [since, until, rule.min_talk_seconds]
    queue_ids = list(rule.queues.values_list("pk", flat=True))
    if queue_ids:
        where.append("c.queue_id = ANY(%s)")
        params.append(queue_ids)
    campaign_ids = list(rule.campaigns.values_list("pk", flat=True))
    if campaign_ids:
        where.append("c.campaign_id = ANY(%s)")
        params.append(campaign_ids)
    if rule.directions:
        where.append("c.direction = ANY(%s)")
        params.append(list(rule.directions))
    if "taken" in sets:
        where.append(f"c.id NOT IN ({IN_SET})")
        params.append(_ids(sets["taken"]))
    keys = rules.partition_keys(per_agent=bool(rule.per_agent), strata=rule.strata or [])
    group_select = "".join(f", {GROUP_EXPRESSIONS[key]} AS g_{key}" for key in keys)
    sql = (
        f'SELECT c.id, c.agent_id, md5(c.uid || %s) COLLATE "C" AS k{group_select}, {reason} AS reason'  # noqa: S608
        f" FROM {_table(Call)} c WHERE {' AND '.join(where)} OFFSET 0"
    )
    return _Calls(keys=keys, sql=sql, params=[salt, *params], salt=salt)


def _limit(n: int, q: int, exact: bool) -> str:
    """The key prefix below which a group's candidates lie (see the module docstring)."""
    wanted = 3 * q + 10
    if exact or wanted >= n:
        return FULL
    return f"{(wanted << 32) // n:08x}"


def _common(rule: SamplingRule) -> str:
    """The prefix statement 1 collects below: enough for every large group's quota."""
    share = max(COMMON, 4 * float(rule.percent or Decimal(0)) / 100)
    return FULL if share >= 1 else f"{int(share * 2**32):08x}"


def draw(
    rule: SamplingRule, *, since: datetime, until: datetime, period_start: date, exact: bool = False
) -> tuple[int, list[Drawn]]:
    """The number of eligible calls and the rule's picks for ``[since, until)``, in draw order.
    ``exact`` ranks every call of every group (the shortcut's fallback; tests compare both)."""
    with connection.cursor() as cursor:
        calls = _calls(rule, since, until, _sets(cursor, rule, since, until), rules.draw_salt(rule.seed, period_start))
        common = FULL if exact else _common(rule)
        eligible, included, quotas, collected = _groups(cursor, rule, calls, common)
        usable = _usable(cursor, rule, included, collected, quotas)
        picks = [pick for pick in included if pick.call_id in usable]
        later: dict[tuple, tuple[int, int]] = {}  # drawn by statement 2, below their own limits
        full: dict[tuple, tuple[int, int]] = {}  # drawn by statement 2 over all their calls
        for group, (n, q) in quotas.items():
            limit = _limit(n, q, exact)
            if limit > common:
                later[group] = (n, q)
                continue
            drawn = _first(collected.get(group, []), q, limit, usable)
            if len(drawn) == q or limit == FULL:
                picks.extend(drawn)  # FULL: every call of the group was collected
            else:
                full[group] = (n, q)  # short of usable calls below its limit
        skip = [pick.call_id for pick in included]
        if later:
            found, short = _candidates(cursor, rule, calls, later, False, skip)
            full.update(short)
            for group, drawn in found.items():
                if group not in short:
                    picks.extend(drawn)
        if full:
            found, _none = _candidates(cursor, rule, calls, full, True, skip)
            for drawn in found.values():
                picks.extend(drawn)
        picks.sort(key=lambda pick: (pick.key, pick.call_id))
        _details(cursor, rule, picks)
    return eligible, picks


def _usable(
    cursor,
    rule: SamplingRule,
    included: list[Drawn],
    collected: dict[tuple, list[tuple]],
    quotas: dict[tuple, tuple[int, int]],
) -> set[int]:
    """The calls of statement 1 that may be picked (recorded, if the rule asks), checking the
    always-included calls and each group's first q candidates, then — for a group where some of
    those had no recording — the rest of its candidates."""
    if not rule.require_recording:
        return {pick.call_id for pick in included} | {row[0] for rows in collected.values() for row in rows}
    for rows in collected.values():
        rows.sort(key=lambda row: (row[2], row[0]))
    first = {group: rows[: quotas[group][1]] for group, rows in collected.items() if group in quotas}
    usable = _recorded(
        cursor, rule, [pick.call_id for pick in included] + [row[0] for rows in first.values() for row in rows]
    )
    missing = [group for group, rows in first.items() if any(row[0] not in usable for row in rows)]
    if missing:
        usable |= _recorded(cursor, rule, [row[0] for group in missing for row in collected[group][quotas[group][1] :]])
    return usable


def _first(rows: list[tuple], q: int, limit: str, usable: set[int]) -> list[Drawn]:
    """The first q usable rows (id, agent, key) below ``limit``, in key order."""
    drawn: list[Drawn] = []
    for call_id, agent_id, key in sorted(rows, key=lambda row: (row[2], row[0])):
        if len(drawn) == q or key >= limit:
            break
        if call_id in usable:
            drawn.append(Drawn(call_id=call_id, agent_id=agent_id, reason=SampleReason.RANDOM.value, key=key))
    return drawn


def _groups(
    cursor, rule: SamplingRule, calls: _Calls, common: str
) -> tuple[int, list[Drawn], dict[tuple, tuple[int, int]], dict[tuple, list[tuple]]]:
    """Statement 1: the eligible count, the always-included calls, each group's ``(n, q)``, and
    each group's calls below the common prefix (id, agent, key)."""
    columns = calls.columns
    # One condition for both kinds of row kept (always-included, or a candidate below the common
    # prefix), so that each call is tested once per aggregate and only three arrays are built.
    kept = 'e.reason IS NOT NULL OR e.k < %s COLLATE "C"'
    # Counted by hashing the groups, never by sorting a million calls into them.
    cursor.execute("SET LOCAL enable_sort = off")
    cursor.execute(
        f"""
SELECT {"".join(f"{column}, " for column in columns)}count(*), count(*) FILTER (WHERE e.reason IS NULL),
       array_agg(e.id) FILTER (WHERE {kept}), array_agg(e.agent_id) FILTER (WHERE {kept}),
       array_agg(e.k) FILTER (WHERE {kept}), array_agg(e.reason) FILTER (WHERE {kept})
FROM ({calls.sql}) e
{f"GROUP BY {', '.join(columns)}" if columns else ""}
""",  # noqa: S608 - table and column names only
        [common, common, common, common, *calls.params],
    )
    rows = cursor.fetchall()
    cursor.execute("SET LOCAL enable_sort = on")
    width = len(columns)
    eligible = 0
    included: list[Drawn] = []
    quotas: dict[tuple, tuple[int, int]] = {}
    collected: dict[tuple, list[tuple]] = {}
    for row in rows:
        group, n_all, n = tuple(row[:width]), row[width], row[width + 1]
        eligible += n_all
        ids, agents, keys, reasons = (value or [] for value in row[width + 2 :])
        low: list[tuple] = []
        for call_id, agent_id, key, why in zip(ids, agents, keys, reasons, strict=True):
            if why is None:
                low.append((call_id, agent_id, key))
            else:
                included.append(Drawn(call_id=call_id, agent_id=agent_id, reason=why, key=key))
        q = rules.quota(n, per_agent=rule.per_agent, percent=rule.percent) if n else 0
        if q:
            quotas[group] = (n, q)
            collected[group] = low
    return eligible, included, quotas, collected


def _candidates(  # noqa: PLR0913 -- the draw's second statement and its inputs
    cursor,
    rule: SamplingRule,
    calls: _Calls,
    quotas: dict[tuple, tuple[int, int]],
    exact: bool,
    skip: list[int],
) -> tuple[dict[tuple, list[Drawn]], dict[tuple, tuple[int, int]]]:
    """Statement 2: each of ``quotas``' groups' random picks — its first q usable candidates in
    key order — and the groups still short. ``skip``: the always-included calls."""
    limits = {_label(group): _limit(*quotas[group], exact) for group in quotas}
    columns = calls.columns
    label = " || '|' || ".join(f"e.{column}::text" for column in columns) or "''"
    cursor.execute(
        f"""
SELECT e.id, e.agent_id, e.k{"".join(f", e.{column}" for column in columns)}
FROM ({calls.sql}) e
WHERE e.reason IS NULL AND e.id NOT IN ({IN_SET})
  AND e.k < COALESCE(%s::jsonb ->> ({label}), '') COLLATE "C"
""",  # noqa: S608 - table and column names only
        [*calls.params, _ids(skip), json.dumps(limits)],
    )
    width = len(columns)
    rows: dict[tuple, list[tuple]] = {}
    for row in cursor.fetchall():
        rows.setdefault(tuple(row[3 : 3 + width]), []).append(row[:3])
    usable = _recorded(cursor, rule, [row[0] for group in rows.values() for row in group])
    found = {group: _first(rows.get(group, []), q, FULL, usable) for group, (_n, q) in quotas.items()}
    short = {
        group: quotas[group]
        for group in quotas
        if len(found[group]) < quotas[group][1] and _limit(*quotas[group], exact) != FULL
    }
    return found, short


def _label(values: tuple) -> str:
    """A group's key as text, the same here and in statement 2's SQL."""
    return "|".join(str(value) for value in values)


def _recorded(cursor, rule: SamplingRule, call_ids: list[int]) -> set[int]:
    """Which of ``call_ids`` may be picked: those with a recording when the rule asks for one."""
    if not rule.require_recording:
        return set(call_ids)
    if not call_ids:
        return set()
    cursor.execute(
        f"SELECT r.call_id FROM {_table(Recording)} r WHERE r.call_id = ANY({IDS})",  # noqa: S608 - table name
        [_ids(call_ids)],
    )
    return {row[0] for row in cursor.fetchall()}


def _details(cursor, rule: SamplingRule, picks: list[Drawn]) -> None:
    """Statement 3: the picks' uid and arrival, this rule's assignments of them, their agents'
    users — each a lookup by key (``= ANY`` in a WHERE: an index or one hashed scan, whatever
    the table's statistics say; right after a run inserted thousands of assignments they say
    the table is empty)."""
    if not picks:
        return
    ids = _ids(pick.call_id for pick in picks)
    cursor.execute(
        f"SELECT id, uid, extract(epoch FROM arrived_at)::float8 FROM {_table(Call)} WHERE id = ANY({IDS})",  # noqa: S608
        [ids],
    )
    calls = {row[0]: row[1:] for row in cursor.fetchall()}
    cursor.execute(
        f"SELECT call_id, assignee_id FROM {_table(Assignment)} WHERE rule_id = %s AND call_id = ANY({IDS})",  # noqa: S608
        [rule.pk, ids],
    )
    assigned = dict(cursor.fetchall())
    users = dict(
        Agent.objects.filter(pk__in={pick.agent_id for pick in picks if pick.agent_id}).values_list("pk", "user_id")
    )
    for pick in picks:
        pick.uid, arrived = calls[pick.call_id]
        pick.arrived_at = datetime.fromtimestamp(arrived, tz=UTC)
        pick.existing = pick.call_id in assigned
        pick.assignee_id = assigned.get(pick.call_id)
        pick.agent_user_id = users.get(pick.agent_id) if pick.agent_id else None
