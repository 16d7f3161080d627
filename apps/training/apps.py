from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "apps.training"
    verbose_name = _("Training")

    def ready(self) -> None:
        # The certificate gate on routing skills (ARCHITECTURE §10: telephony defines the seam, training fills it).
        from apps.telephony.skill_gates import register_skill_gate  # noqa: PLC0415 -- the app registry is ready only here
        from apps.training.gating import certified_skill_gate  # noqa: PLC0415 -- imports models

        register_skill_gate(certified_skill_gate)
