"""The SQL that fills the KPI rollups from the CDRs and agent-state events.

Kept apart from the service (apps/reports/services/rollups.py) so the counting rules are read in
one place. Each rule here is the SQL form of a rule of apps/telephony/kpis.py as applied by
apps/telephony/selectors/kpis.py (the per-call flags ``abandoned``, ``short_abandon``,
``answered_within_sl`` and ``sl_threshold_seconds`` were fixed when the call closed, by
apps/telephony/services/cdr.py): tests/reports/test_kpis_rollups.py checks the rollups against
those raw-CDR selectors and against hand-computed call sets.

Parameters (psycopg named): ``since``/``until`` (15-minute aligned, ``until`` exclusive),
``fcr_window`` (an interval), ``tz`` (the tenant's IANA zone).

Rules:

- the queue of a call is its own, or (a blocked call never reaches one) its number's queue;
- *offered*: the call waited in a queue (``queued_at`` set), whatever its direction — a campaign's
  live answer waiting in a queue is offered there, as the wallboard counts it;
- *handled*: answered, ended and wrap-up over (any direction: agents' manual calls are work too);
- *FCR*: handled inbound calls with a queue; the next inbound call of the same caller number to the
  same queue arriving after it and within the window makes it a repeat (found with ``LEAD`` over
  the calls of ``[since, until + window)``);
- *CSAT*: ``survey_score`` 1–5; the top two boxes are 4 and 5;
- *IVR containment*: the call ran an IVR (``ivr_version`` set); contained when it ended without
  being queued or answered, without asking for an agent and without being blocked;
- *RONA* and *transfers* are timeline events (``rona``, ``transferred``) counted on the agent who
  let the offer ring out or made the transfer, in the bucket of the call.
"""

from __future__ import annotations

from apps.reports.models.rollups import CALL_MEASURES

# Rows of one call-rollup grain, built from CDRs: insert into reports_callrollup.
CALLS_M15 = """
WITH base AS (
    SELECT c.id, c.arrived_at, c.direction, c.queue_id, c.agent_id, c.campaign_id, c.disposition_id,
           c.trunk_id, c.number_id, c.queued_at, c.answered_at, c.ended_at, c.wrapup_ended_at,
           c.wait_seconds, c.talk_seconds, c.hold_seconds, c.wrapup_seconds, c.abandoned, c.short_abandon,
           c.answered_within_sl, c.sl_threshold_seconds, c.survey_score, c.ivr_version_id,
           c.reached_agent_request, c.blocked, COALESCE(c.queue_id, n.queue_id) AS kpi_queue_id
    FROM telephony_call c
    LEFT JOIN telephony_phonenumber n ON n.id = c.number_id
    WHERE c.arrived_at >= %(since)s AND c.arrived_at < %(until)s
),
repeat AS (
    SELECT id, LEAD(arrived_at) OVER (PARTITION BY caller, queue_id ORDER BY arrived_at, id) AS next_arrival
    FROM telephony_call
    WHERE arrived_at >= %(since)s AND arrived_at < %(until)s + %(fcr_window)s
      AND direction = 'inbound' AND queue_id IS NOT NULL
),
per_call AS (
    SELECT
        b.*,
        (b.queued_at IS NOT NULL AND b.queue_id IS NOT NULL) AS q,
        (b.answered_at IS NOT NULL AND b.ended_at IS NOT NULL AND b.wrapup_ended_at IS NOT NULL) AS h,
        (r.next_arrival IS NOT NULL AND r.next_arrival <= b.arrived_at + %(fcr_window)s) AS repeated,
        COALESCE(d.is_resolved, FALSE) AS resolved
    FROM base b
    LEFT JOIN repeat r ON r.id = b.id
    LEFT JOIN telephony_disposition d ON d.id = b.disposition_id
),
events AS (
    SELECT e.call_id, e.agent_id,
           count(*) FILTER (WHERE e.kind = 'transferred') AS transfers,
           count(*) FILTER (WHERE e.kind = 'rona') AS ronas
    FROM telephony_callevent e
    WHERE e.kind IN ('transferred', 'rona')
      AND e.call_id IN (SELECT id FROM base)
    GROUP BY e.call_id, e.agent_id
),
measured AS (
    SELECT
        date_bin('15 minutes', p.arrived_at, TIMESTAMPTZ '2000-01-01 00:00+00') AS bucket_start,
        p.kpi_queue_id AS queue_id, p.agent_id, p.campaign_id, p.disposition_id, p.direction,
        p.trunk_id, p.number_id,
        1 AS calls,
        (p.q)::int AS offered,
        (p.q AND p.answered_at IS NOT NULL)::int AS answered,
        (p.q AND p.answered_at IS NOT NULL AND p.answered_within_sl IS TRUE)::int AS answered_in_sl,
        (p.q AND p.abandoned AND NOT p.short_abandon)::int AS abandoned,
        (p.q AND p.abandoned AND NOT p.short_abandon AND p.wait_seconds > p.sl_threshold_seconds)::int
            AS abandoned_after_sl,
        (p.q AND p.abandoned AND p.short_abandon)::int AS short_abandons,
        (p.q AND p.abandoned AND p.short_abandon AND p.wait_seconds > p.sl_threshold_seconds)::int
            AS short_abandons_after_sl,
        CASE WHEN p.q AND p.answered_at IS NOT NULL THEN COALESCE(p.wait_seconds, 0) ELSE 0 END AS wait_sum,
        (p.q AND p.answered_at IS NOT NULL AND p.wait_seconds IS NOT NULL)::int AS waited,
        (p.h)::int AS handled,
        CASE WHEN p.h THEN p.talk_seconds + p.hold_seconds + p.wrapup_seconds ELSE 0 END AS handle_sum,
        CASE WHEN p.h THEN p.talk_seconds ELSE 0 END AS talk_sum,
        CASE WHEN p.h THEN p.hold_seconds ELSE 0 END AS hold_sum,
        CASE WHEN p.h THEN p.wrapup_seconds ELSE 0 END AS wrapup_sum,
        (p.h AND p.direction = 'inbound' AND p.queue_id IS NOT NULL)::int AS fcr_handled,
        (p.h AND p.direction = 'inbound' AND p.queue_id IS NOT NULL AND NOT p.repeated)::int AS fcr_no_repeat,
        (p.h AND p.direction = 'inbound' AND p.queue_id IS NOT NULL AND p.repeated AND p.resolved)::int
            AS fcr_resolved_repeat,
        (p.survey_score BETWEEN 1 AND 5)::int AS csat_count,
        CASE WHEN p.survey_score BETWEEN 1 AND 5 THEN p.survey_score ELSE 0 END AS csat_sum,
        (p.survey_score BETWEEN 4 AND 5)::int AS csat_top2,
        (p.ivr_version_id IS NOT NULL)::int AS ivr_entered,
        (p.ivr_version_id IS NOT NULL AND p.ended_at IS NOT NULL AND p.queued_at IS NULL
         AND p.answered_at IS NULL AND NOT p.reached_agent_request AND NOT p.blocked)::int AS ivr_contained,
        (p.blocked)::int AS blocked,
        0 AS transfers,
        0 AS ronas,
        (EXISTS (SELECT 1 FROM telephony_callbackrequest cb WHERE cb.call_id = p.id))::int AS callbacks,
        (EXISTS (SELECT 1 FROM telephony_voicemail vm WHERE vm.call_id = p.id))::int AS voicemails
    FROM per_call p
    UNION ALL
    SELECT
        date_bin('15 minutes', b.arrived_at, TIMESTAMPTZ '2000-01-01 00:00+00'),
        b.kpi_queue_id, ev.agent_id, b.campaign_id, b.disposition_id, b.direction, b.trunk_id, b.number_id,
        {event_zeros},
        ev.transfers, ev.ronas, 0, 0
    FROM events ev JOIN base b ON b.id = ev.call_id
)
INSERT INTO reports_callrollup (
    grain, bucket_start, queue_id, agent_id, campaign_id, disposition_id, direction, trunk_id, number_id,
    {measures}
)
SELECT 'm15', bucket_start, queue_id, agent_id, campaign_id, disposition_id, direction, trunk_id, number_id,
    {sums}
FROM measured
GROUP BY bucket_start, queue_id, agent_id, campaign_id, disposition_id, direction, trunk_id, number_id
"""

# Derived call rows: re-aggregated from the rows of another grain of [since, until) — the day rows
# (local days, all dimensions), the queue-only rows (q15, qday: every dimension but queue and
# direction summed away) and the agent rows (a15, aday: queue, agent, direction) — so each is
# exactly the sum of the rows below it.
CALL_DIMENSIONS = ("queue_id", "agent_id", "campaign_id", "disposition_id", "direction", "trunk_id", "number_id")
QUEUE_DIMENSIONS = ("queue_id", "direction")
AGENT_DIMENSIONS = ("queue_id", "agent_id", "direction")
_DERIVED_CALLS = """
INSERT INTO reports_callrollup (grain, bucket_start, {dims}, {measures})
SELECT %(target)s, {bucket} AS bucket, {dims}, {sums}
FROM reports_callrollup
WHERE grain = %(source)s AND bucket_start >= %(since)s AND bucket_start < %(until)s
GROUP BY bucket, {dims}
"""
LOCAL_DAY = "date_trunc('day', bucket_start AT TIME ZONE %(tz)s) AT TIME ZONE %(tz)s"

# Agent-state seconds per 15-minute bucket: each event's state lasts until the agent's next event
# (or now); the state at ``since`` is the last event before it (one index probe per agent).
STATES_M15 = """
WITH ev AS (
    SELECT last.agent_id, last.at, last.id, last.to_state
    FROM telephony_agent a
    CROSS JOIN LATERAL (
        SELECT e.agent_id, e.at, e.id, e.to_state FROM telephony_agentstateevent e
        WHERE e.agent_id = a.id AND e.at < %(since)s ORDER BY e.at DESC, e.id DESC LIMIT 1
    ) last
    UNION ALL
    SELECT agent_id, at, id, to_state FROM telephony_agentstateevent
    WHERE at >= %(since)s AND at < %(until)s
),
seg AS (
    SELECT agent_id, state, ea, eb, floor(ea / 900)::bigint AS ka, floor((eb - 0.000001) / 900)::bigint AS kb
    FROM (
        SELECT agent_id, to_state AS state,
               date_part('epoch', GREATEST(at, %(since)s)) AS ea,
               date_part('epoch', LEAST(COALESCE(LEAD(at) OVER w, LEAST(now(), %(until)s)), %(until)s)) AS eb
        FROM ev
        WINDOW w AS (PARTITION BY agent_id ORDER BY at, id)
    ) spans
    WHERE eb > ea AND state <> 'offline'
),
pieces AS (
    -- most states begin and end inside one 15-minute bucket: no series needed
    SELECT agent_id, state, ka AS k, eb - ea AS secs FROM seg WHERE ka = kb
    UNION ALL
    SELECT agent_id, state, k, LEAST(eb, (k + 1) * 900) - GREATEST(ea, k * 900)
    FROM seg CROSS JOIN LATERAL generate_series(ka, kb) AS k
    WHERE ka < kb
)
INSERT INTO reports_agentstaterollup (
    grain, bucket_start, agent_id, ready_seconds, talking_seconds, hold_seconds, wrapup_seconds,
    reserved_seconds, not_ready_seconds
)
SELECT 'm15', to_timestamp(k * 900), agent_id,
    COALESCE(sum(secs) FILTER (WHERE state = 'ready'), 0),
    COALESCE(sum(secs) FILTER (WHERE state = 'talking'), 0),
    COALESCE(sum(secs) FILTER (WHERE state = 'hold'), 0),
    COALESCE(sum(secs) FILTER (WHERE state = 'wrap_up'), 0),
    COALESCE(sum(secs) FILTER (WHERE state = 'reserved'), 0),
    COALESCE(sum(secs) FILTER (WHERE state = 'not_ready'), 0)
FROM pieces
GROUP BY k, agent_id
"""

# Derived state rows: local days per agent, and the all-agents rows (t15, tday: agent_id 0).
_DERIVED_STATES = """
INSERT INTO reports_agentstaterollup (
    grain, bucket_start, agent_id, ready_seconds, talking_seconds, hold_seconds, wrapup_seconds,
    reserved_seconds, not_ready_seconds
)
SELECT %(target)s, {bucket} AS bucket, {agent} AS agent,
    sum(ready_seconds), sum(talking_seconds), sum(hold_seconds), sum(wrapup_seconds),
    sum(reserved_seconds), sum(not_ready_seconds)
FROM reports_agentstaterollup
WHERE grain = %(source)s AND bucket_start >= %(since)s AND bucket_start < %(until)s
GROUP BY bucket, agent
"""

DELETE_CALLS = (
    "DELETE FROM reports_callrollup WHERE grain = %(grain)s AND bucket_start >= %(since)s AND bucket_start < %(until)s"
)
DELETE_STATES = "DELETE FROM reports_agentstaterollup WHERE grain = %(grain)s AND bucket_start >= %(since)s AND bucket_start < %(until)s"


def _measures() -> tuple[str, str]:
    # Counts summed as int4 (a bigint result, accumulated natively; SUM(bigint) is numeric and slow).
    sums = (f"COALESCE(sum({m}), 0)" if m.endswith("_sum") else f"COALESCE(sum({m}::int4), 0)" for m in CALL_MEASURES)
    return ", ".join(CALL_MEASURES), ", ".join(sums)


def calls_m15_sql() -> str:
    measures, sums = _measures()
    zeros = ", ".join("0" for _ in range(CALL_MEASURES.index("transfers")))
    return CALLS_M15.format(measures=measures, sums=sums, event_zeros=zeros)


def derived_calls_sql(*, to_day: bool, dimensions: tuple[str, ...] = CALL_DIMENSIONS) -> str:
    """Call rows of a coarser grain from a finer one: ``to_day`` buckets into local days;
    ``dimensions`` are the ones kept (the others are summed away and stay null)."""
    _names, sums = _measures()
    dims = ", ".join(dimensions)
    return _DERIVED_CALLS.format(
        dims=dims, measures=", ".join(CALL_MEASURES), sums=sums, bucket=LOCAL_DAY if to_day else "bucket_start"
    )


def derived_states_sql(*, to_day: bool, all_agents: bool) -> str:
    return _DERIVED_STATES.format(
        bucket=LOCAL_DAY if to_day else "bucket_start", agent="0" if all_agents else "agent_id"
    )
