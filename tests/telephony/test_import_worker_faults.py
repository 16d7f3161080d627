"""A Celery worker killed with SIGKILL in the middle of a large contact-list import: another
worker gets the unacknowledged task again (acks late + a short visibility timeout here), takes
the job over once its heartbeat is stale, resumes after the last committed batch, and the import
completes with every row exactly once.

A real worker process (``celery worker --pool=solo``) runs against this test's database, a
media directory of its own and a Redis database of its own as the broker
(tests/telephony/fault_worker_settings.py). The data is committed (the worker is another
process), so the test does not use the rolled-back ``db`` transaction and removes its campaign
at the end."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django_tenants.utils import tenant_context

from apps.telephony.choices import ContactListStatus
from apps.telephony.models import Campaign, Contact, ContactList
from apps.telephony.services.campaigns.contact_import import contact_list_upload
from apps.tenants.models import Tenant
from config.settings.base import celery_broker_url
from tests.telephony.campaign_factories import make_campaign

pytestmark = pytest.mark.faults

ROWS = 20_000
BROKER_DB = 63  # above the test runs' cache and channel-layer databases (3…62)
ROOT = Path(__file__).resolve().parents[2]


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Worker:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.log.close()


@pytest.fixture
def broker(settings):
    """The Celery app of this process, sending to a queue of this test on the broker database."""
    from config.celery import app

    url = celery_broker_url(settings.REDIS_URL, BROKER_DB)
    queue = f"faults-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager", "task_default_queue")}

    def reconnect() -> None:  # the app caches its connection and producer pools
        app._pool = None
        app.amqp._producer_pool = None

    app.conf.update(broker_url=url, task_always_eager=False, task_default_queue=queue)
    reconnect()
    yield url, queue
    with app.connection_for_write() as conn:  # leave nothing behind in the broker database
        conn.default_channel.client.delete(queue)
    app.conf.update(saved)
    reconnect()


@pytest.fixture
def media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    return tmp_path


def test_a_worker_killed_mid_import_leaves_an_import_that_completes_with_every_row_once(
    django_db_setup, django_db_blocker, broker, media, tmp_path, settings
):
    settings.IMPORT_STALL_SECONDS = 2
    url, queue = broker
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.telephony.fault_worker_settings",
        "FAULT_BROKER_URL": url,
        "FAULT_QUEUE": queue,
        "FAULT_MEDIA_ROOT": str(media),
        "FAULT_STALL_SECONDS": "2",
    }
    data = "phone,name\n" + "".join(f"13{i:09d},name {i}\n" for i in range(ROWS))
    log = tmp_path / "worker.log"
    workers: list[Worker] = []
    with django_db_blocker.unblock():
        env["FAULT_DATABASE_NAME"] = connection.settings_dict["NAME"]
        tenant = Tenant.objects.get(slug="acme")
        with tenant_context(tenant):
            campaign = make_campaign(running=False, name=f"faults-{queue}")
        try:
            workers.append(Worker(env, log))
            began = time.monotonic()
            with tenant_context(tenant):
                # Autocommit: the upload commits and its on-commit hook sends the task at once.
                contact_list = contact_list_upload(
                    campaign=campaign,
                    upload=SimpleUploadedFile("big.csv", data.encode()),
                    mapping={"phone": "phone", "name": "name"},
                )

                def progress() -> ContactList:
                    return ContactList.objects.get(pk=contact_list.pk)

                started = wait_for(
                    lambda: (job := progress()).rows_checkpoint > 0 and job, 90, "the first committed batch"
                )
                print(f"first batch committed {time.monotonic() - began:.1f} s after the upload")
                workers[0].kill()
                killed = progress()
                assert killed.status == ContactListStatus.IMPORTING
                assert killed.rows_checkpoint < ROWS + 1, "the import finished before the kill"
                assert started.attempts == 1

                workers.append(Worker(env, log))
                done = wait_for(
                    lambda: (job := progress()).status in (ContactListStatus.DONE, ContactListStatus.FAILED) and job,
                    90,
                    "the second worker to finish the import",
                )

                print(f"killed at row {killed.rows_checkpoint}; done {time.monotonic() - began:.1f} s after the upload")
                assert done.status == ContactListStatus.DONE, done.error_message
                assert done.attempts == 2  # the redelivered task took the job over
                assert (done.rows_processed, done.rows_imported, done.rows_duplicate) == (ROWS, ROWS, 0)
                contacts = Contact.objects.filter(contact_list=contact_list)
                assert contacts.count() == ROWS
                assert contacts.values("phone").distinct().count() == ROWS
                assert not done.error_report
        finally:
            for worker in workers:
                worker.kill()
            with tenant_context(tenant):
                Campaign.objects.filter(pk=campaign.pk).delete()
            print(log.read_text(errors="replace")[-4000:])  # shown when the test fails
