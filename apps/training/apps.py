from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "apps.training"
    verbose_name = _("Training")

    def ready(self) -> None:
        # The certificate gate on routing skills (ARCHITECTURE §10: telephony defines the seam, training fills it).
        from apps.telephony.skill_gates import register_skill_gate  # noqa: PLC0415 -- the app registry is ready only here
        from apps.training.gating import certified_skill_gate, certified_skill_next_change  # noqa: PLC0415 -- imports models

        register_skill_gate(certified_skill_gate, next_change=certified_skill_next_change)

        # Courses, programmes and effectiveness (issue 16 items 1, 4, 5, 7): QA's coaching seam
        # (apps/qa/hooks.py), the training reports (apps/reports/registry.py) and the hourly tasks.
        from apps.training import reports, tasks_courses  # noqa: F401, PLC0415 -- registering needs the models
        from apps.training.services.qa_link import register as register_course_assigner  # noqa: PLC0415 -- imports models

        register_course_assigner()
