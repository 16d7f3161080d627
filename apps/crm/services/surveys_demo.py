"""The demo's survey pages: responses from the generated call history, the follow-ups of the last
week's low scores, and a few callback visits handed to the demo's callback-visit campaign (whose
simulated dialer then calls them and brings the outcome back). Idempotent and fast: the sync makes
only the missing responses, and visits are sent only while the demo has none."""

from __future__ import annotations

from django.db.models import Q
from django_tenants.utils import schema_context

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.core.errors import ApplicationError
from apps.crm.models import SurveyResponse, VisitTask
from apps.crm.services.surveys import survey_responses_sync
from apps.crm.services.visits import visit_task_for_response
from apps.crm.surveys.choices import FollowUpStatus
from apps.telephony.selectors.campaigns.outcomes import visit_campaigns

DEMO_VISITS = 3


def crm_surveys_demo_ensure(schema_name: str) -> dict[str, int]:
    """Run in ``schema_name``; returns ``{"responses", "follow_ups", "visits"}`` made this time."""
    with schema_context(schema_name):
        made = survey_responses_sync()
        visits = 0
        campaigns = visit_campaigns()
        manager = (
            User.objects.filter(is_active=True)
            .filter(Q(roles__contains=[Role.SUPERVISOR]) | Q(roles__contains=[Role.TENANT_ADMIN]))
            .order_by("pk")
            .first()
        )
        if campaigns and manager is not None and not VisitTask.objects.exists():
            low = SurveyResponse.objects.filter(follow_up_status=FollowUpStatus.OPEN).exclude(caller="")
            for response in low.order_by("-answered_at")[: DEMO_VISITS * 3]:
                try:
                    visit_task_for_response(response=response, actor=manager, campaign=campaigns[0].pk)
                except ApplicationError:
                    continue  # a number the campaign may not dial (do-not-call): the next one
                visits += 1
                if visits >= DEMO_VISITS:
                    break
    return {"responses": made["created"], "follow_ups": made["follow_ups"], "visits": visits}
