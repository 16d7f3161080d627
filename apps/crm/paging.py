"""Counting a long list: exact up to EXACT_COUNT_LIMIT rows, the planner's estimate beyond.

A list of a million tickets filtered to "closed" would spend most of its time counting 950,000
rows for a page of 50. Helpdesks show "10,000+" or an estimate there; so do we: the count query
stops at EXACT_COUNT_LIMIT + 1 rows, and past that PostgreSQL's estimate of the filtered query
(EXPLAIN, from the table's statistics) is the count, flagged ``count_is_estimate``.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

EXACT_COUNT_LIMIT = 10_000


def estimated_rows(queryset) -> int:
    """PostgreSQL's estimate of how many rows ``queryset`` returns."""
    sql, params = queryset.order_by().query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):  # a driver that does not decode JSON
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


class EstimatedCountPaginator(Paginator):
    """Django's paginator with :data:`EXACT_COUNT_LIMIT`; ``count_is_estimate`` says which it is."""

    count_is_estimate = False

    @cached_property
    def count(self) -> int:
        queryset: Any = self.object_list
        if not hasattr(queryset, "query"):
            return super().count
        exact = queryset.order_by()[: EXACT_COUNT_LIMIT + 1].count()
        if exact <= EXACT_COUNT_LIMIT:
            return exact
        self.count_is_estimate = True
        return max(exact, estimated_rows(queryset))
