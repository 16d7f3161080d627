"""Sign-up uses telephony's plant (the default trunk, the first seats, pool numbers); the plant
uses only the tenants' models, their host name and usage metering. The dependency runs one way,
so either side imports on its own without reaching into the other's half-built module."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import sys
import django
django.setup()
import apps.telephony.services.plant
import apps.sip.selectors
leaked = sorted(m for m in sys.modules if m in ("apps.tenants.services.provisioning", "apps.tenants.services.platform"))
print(",".join(leaked))
"""


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 -- our own interpreter with a fixed probe
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"DJANGO_SETTINGS_MODULE": "config.settings.test", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_plant_does_not_import_provisioning() -> None:
    result = _run(PROBE)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"the plant pulled in: {result.stdout.strip()}"


def test_each_side_imports_first() -> None:
    """Whichever module a process imports first, neither finds the other half-initialised."""
    for first, second in (
        ("apps.telephony.services.plant", "apps.tenants.services.provisioning"),
        ("apps.tenants.services.provisioning", "apps.telephony.services.plant"),
        ("apps.tenants.services.platform", "apps.telephony.services"),
    ):
        result = _run(f"import django\ndjango.setup()\nimport {first}\nimport {second}\n")
        assert result.returncode == 0, f"{first} then {second}: {result.stderr}"
