"""Make sure the platform admin and the demo tenant exist (idempotent; used by ``make run``).

The first run also gives the demo tenant 30 days of generated history (``generate_history``'s
service; about 15 s), so every report has data; later runs find it and skip. Under the test
settings it is skipped unless ``--history`` asks for it; ``--no-history`` skips it anywhere.
"""

import os

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django_tenants.utils import schema_context, tenant_context

from apps.accounts.choices import Role
from apps.accounts.models import Team, User
from apps.crm.models import Department
from apps.crm.services.customers_demo import crm_customers_demo_ensure
from apps.crm.services.kb_demo import kb_demo_seed
from apps.crm.services.surveys_demo import crm_surveys_demo_ensure
from apps.crm.services.ticket_config import seed_ticket_defaults
from apps.qa.services.demo import QA_USERS, qa_demo_ensure
from apps.telephony.ivr_demo import ivr_self_service_demo_ensure
from apps.telephony.models import PhoneNumber
from apps.telephony.services.demo import demo_traffic_setup
from apps.telephony.services.history import demo_history_ensure
from apps.telephony.services.plant import service_number_attach
from apps.telephony.services.routing_demo import routing_demo_ensure
from apps.telephony.services.voicemail_demo import voicemail_demo_seed
from apps.tenants.models import Domain, Tenant
from apps.tenants.services.provisioning import tenant_provision
from apps.tenants.services.spares import spare_schemas_fill
from apps.tenants.services.usage import pool_number_take
from apps.training.services.demo import TRAINER_PASSWORD, training_demo_ensure
from apps.training.services.demo_courses import training_courses_demo_ensure
from apps.webhooks.services.demo import webhooks_demo_ensure
from apps.workforce.services.demo import HR_USER, workforce_demo_ensure
from apps.workforce.services.staffing_demo import staffing_demo_ensure

PLATFORM_ADMIN = ("admin@platform.local", "Platform!2026")
DEMO_SLUG = "demo"
DEMO_USERS: list[tuple[str, str, str, list[str]]] = [
    # email, password, name, roles
    ("admin@demo.local", "DemoAdmin!2026", "演示管理员", [Role.TENANT_ADMIN, Role.SUPERVISOR]),
    ("supervisor@demo.local", "DemoSuper!2026", "王主管", [Role.SUPERVISOR]),
    ("agent@demo.local", "DemoAgent!2026", "李座席", [Role.AGENT]),
]


def history_wanted(asked: bool | None) -> bool:
    """``--history``/``--no-history`` decide; otherwise yes, except under the test settings (the
    tests call this command and must not pay for a month of calls unless they ask)."""
    if asked is not None:
        return asked
    return not str(getattr(settings, "SETTINGS_MODULE", "")).endswith(".test")


class Command(BaseCommand):
    help = "Create the platform admin and the demo tenant if they are missing, then print the logins."

    def add_arguments(self, parser):
        history = parser.add_mutually_exclusive_group()
        history.add_argument(
            "--history",
            dest="history",
            action="store_true",
            default=None,
            help="generate the demo's 30 days of history",
        )
        history.add_argument("--no-history", dest="history", action="store_false", help="do not generate history")

    def handle(self, *args, **options):
        with schema_context("public"):
            self._ensure_public_domain()
            if not User.objects.filter(email=PLATFORM_ADMIN[0]).exists():
                User.objects.create_superuser(PLATFORM_ADMIN[0], PLATFORM_ADMIN[1], name="Platform operator")
            tenant = Tenant.objects.filter(slug=DEMO_SLUG).first()
            if tenant is None:
                email, password, name, _roles = DEMO_USERS[0]
                result = tenant_provision(
                    company="演示呼叫中心 Demo Contact Center",
                    slug=DEMO_SLUG,
                    admin_email=email,
                    admin_password=password,
                    seats=20,
                    plan="standard",
                    admin_name=name,
                )
                tenant = result.tenant
                self.stdout.write(f"demo tenant provisioned in {result.provisioned_ms} ms")
        with tenant_context(tenant):
            for email, password, name, roles in DEMO_USERS[1:]:
                if not User.objects.filter(email=email).exists():
                    User.objects.create_user(email, password, name=name, roles=roles)
            demo_traffic_setup(tenant)
            _demo_team()
            seed_ticket_defaults(tenant)
            kb_demo_seed()
        if history_wanted(options.get("history")):
            result = demo_history_ensure(tenant)
            if result is not None:
                self.stdout.write(
                    f"demo history: {result.calls} calls over {result.days} days in {result.wall_seconds:.1f} s"
                )
        # After the history: the QA department samples its calls (users and scorecard either way).
        made = qa_demo_ensure(tenant)
        if made.get("assignments"):
            self.stdout.write(
                f"demo QA: {made['assignments']} sampled calls assigned, {made['evaluations']} evaluations"
            )
        # The departments' demo data (each idempotent): customers' custom fields, survey responses
        # from the history's surveyed calls, the roster and clock records, the exam and the course
        # with its golden call (a recording of the history), a (disabled) webhook.
        crm_customers_demo_ensure(tenant.schema_name)
        crm_surveys_demo_ensure(tenant.schema_name)
        workforce_demo_ensure(tenant)
        staffing_demo_ensure(tenant)
        training_demo_ensure(tenant.schema_name)
        training_courses_demo_ensure(tenant.schema_name)
        webhooks_demo_ensure(tenant.schema_name)
        routing_demo_ensure(tenant.schema_name)  # a bullseye queue, agent scripts on two queues
        _demo_self_service_number(tenant, ivr_self_service_demo_ensure(tenant.schema_name))
        with tenant_context(tenant):
            voicemail_demo_seed()  # messages with audio, callback requests of every outcome
        built = spare_schemas_fill()
        if built:
            self.stdout.write(f"built {built} spare tenant schema(s) for instant sign-ups")
        self._print(tenant)

    def _ensure_public_domain(self) -> None:
        public = Tenant.objects.get(schema_name="public")
        Domain.objects.get_or_create(domain=settings.PLATFORM_DOMAIN, defaults={"tenant": public, "is_primary": True})

    def _print(self, tenant: Tenant) -> None:
        # make run passes its PORT (daphne listens there); 80 needs no port in the address.
        number = os.environ.get("PORT", "") or "8000"
        port = "" if number == "80" else f":{number}"
        domain = settings.PLATFORM_DOMAIN
        lines = [
            "",
            "Contact center is running:",
            f"  sign-up and landing   http://{domain}{port}/",
            f"  platform console      http://{domain}{port}/platform/   {PLATFORM_ADMIN[0]} / {PLATFORM_ADMIN[1]}",
            f"  demo contact center   http://{tenant.slug}.{domain}{port}/",
        ]
        departments: list[tuple[str, str, str, list[str]]] = [
            (str(HR_USER[0]), str(HR_USER[1]), str(HR_USER[2]), [Role.HR]),
            ("trainer@demo.local", TRAINER_PASSWORD, "", [Role.TRAINER]),
        ]
        for email, password, _name, roles in [*DEMO_USERS, *QA_USERS, *departments]:
            lines.append(f"      {', '.join(roles):<28} {email} / {password}")
        lines.append(f"  API docs              http://{tenant.slug}.{domain}{port}/api/docs/")
        lines.append("")
        self.stdout.write("\n".join(lines))


# The demo's second service number answers with the self-service order lookup (its endpoint is
# the ivr-demo process of make run, manage.py ivr_lookup_demo); a few simulated callers an hour
# key an order number there (apps.telephony.engine.runner.DEMO_CALLERS, gather "ask").
SELF_SERVICE_NAME = "订单查询 Order status"
SELF_SERVICE_ARRIVALS_PER_HOUR = 8.0


def _demo_self_service_number(tenant: Tenant, flow_id: int | None) -> None:
    """A pool number routed to the self-service flow, taken once (the tenant's main number keeps
    its menu). Nothing when the flow could not be made or the pool is empty."""
    if flow_id is None:
        return
    with tenant_context(tenant):
        if PhoneNumber.objects.filter(ivr_flow_id=flow_id).exists():
            return
    with schema_context("public"), transaction.atomic():
        pooled = pool_number_take(tenant=tenant)
    if pooled is None:
        return
    with tenant_context(tenant):
        service_number_attach(number=pooled.number)
        PhoneNumber.objects.filter(number=pooled.number).update(
            name=SELF_SERVICE_NAME,
            ivr_flow_id=flow_id,
            queue=None,
            sim_arrivals_per_hour=SELF_SERVICE_ARRIVALS_PER_HOUR,
        )


DEMO_TEAM = "客服一组"


def _demo_team() -> None:
    """The demo's one team (the supervisor and every agent) and its ticket department, so that team
    views (a supervisor's evaluations, escalations, reports by team) have something to show."""
    team, _created = Team.objects.get_or_create(name=DEMO_TEAM)
    team.supervisors.add(*User.objects.filter(email="supervisor@demo.local"))
    team.members.add(*User.objects.filter(roles__contains=[Role.AGENT]))
    Department.objects.get_or_create(name="客户服务部", defaults={"team": team})
