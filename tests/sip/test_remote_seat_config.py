"""Remote seats' configuration: coturn's turnserver.conf, Kamailio's WSS (tls.cfg), their settings' checks."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.sip.certificates import self_signed_certificate
from apps.sip.plane import PlaneError, plane_from_settings, render, turn_command

SECRET = "turn-secret-0123456789"


def _plane(tmp_path, **changes):
    values = {
        "runtime_dir": tmp_path / "run",
        "turn_enabled": True,
        "turn_secret": SECRET,
        "turn_port": 13478,
        "turn_tls_port": 15349,
        "turn_relay_port_min": 50100,
        "turn_relay_port_max": 50199,
        "turn_realm": "cc.example.com",
        "rtp_port_min": 30000,
        "rtp_port_max": 30999,
        "turn_allow_loopback": False,
        "tls_cert_file": "",
        "tls_key_file": "",
    }
    values.update(changes)
    return plane_from_settings(**values)


@pytest.fixture
def certificate(tmp_path):
    cert, key = tmp_path / "tls" / "cert.pem", tmp_path / "tls" / "key.pem"
    self_signed_certificate(cert, key, ["cc.example.com", "*.cc.example.com", "127.0.0.1"])
    return cert, key


def _config_lines(path) -> list[str]:
    return [line for line in path.read_text().splitlines() if line and not line.startswith("#")]


def test_without_a_certificate_coturn_serves_udp_and_tcp_and_kamailio_has_no_wss(tmp_path):
    plane = _plane(tmp_path, rtp_address="10.0.0.5")
    written = render(plane)

    assert plane.turnserver_conf in written and not plane.tls_cfg.exists()
    turn = _config_lines(plane.turnserver_conf)
    for line in (
        "listening-port=13478",
        "min-port=50100",
        "max-port=50199",
        "realm=cc.example.com",
        "use-auth-secret",
        f"static-auth-secret={SECRET}",
        "no-cli",
        "no-tcp-relay",
        "no-tls",
        "no-dtls",
        # Only rtpengine may be a peer: everything else denied.
        "denied-peer-ip=0.0.0.0-255.255.255.255",
        "allowed-peer-ip=10.0.0.5",
    ):
        assert line in turn, line
    assert "allow-loopback-peers" not in turn
    assert not [line for line in turn if "{{" in line or line.startswith(("cert=", "pkey=", "tls-listening-port"))]
    assert plane.turnserver_conf.stat().st_mode & 0o077 == 0  # it holds the shared secret

    kamailio = plane.kamailio_cfg.read_text()
    assert "#!define WITH_TLS" not in kamailio
    assert "$Rp != 0" in kamailio  # no WSS port to accept WebSockets on
    assert turn_command(plane)[-2:] == ["-c", str(plane.turnserver_conf)] or shutil.which("turnserver") is None


def test_with_a_certificate_kamailio_listens_for_wss_and_coturn_for_turns(tmp_path, certificate):
    cert, key = certificate
    plane = _plane(
        tmp_path,
        tls_cert_file=str(cert),
        tls_key_file=str(key),
        wss_port=18443,
        ws_port=18088,
        turn_allow_loopback=True,
        advertised_address="203.0.113.9",
        turn_external_address="203.0.113.10",
    )
    render(plane)

    kamailio = plane.kamailio_cfg.read_text()
    assert "#!define WITH_TLS" in kamailio
    assert "listen=tls:127.0.0.1:18443 advertise 203.0.113.9:18443" in kamailio
    assert f'modparam("tls", "config", "{plane.tls_cfg}")' in kamailio
    assert "$Rp != 18088 && $Rp != 18443" in kamailio
    tls = plane.tls_cfg.read_text()
    assert f"certificate = {cert}" in tls and f"private_key = {key}" in tls
    assert "method = TLSv1.2+" in tls
    turn = _config_lines(plane.turnserver_conf)
    for line in (
        "tls-listening-port=15349",
        f"cert={cert}",
        f"pkey={key}",
        "external-ip=203.0.113.10",
        "allowed-peer-ip=127.0.0.1",
        "allowed-peer-ip=203.0.113.9",
        "allow-loopback-peers",
    ):
        assert line in turn, line
    assert "no-tls" not in turn

    # Kamailio itself accepts the rendered file, tls module and all.
    kamailio_bin = shutil.which("kamailio")
    if kamailio_bin is None:
        if os.environ.get("CI"):
            pytest.fail("kamailio is not installed")
        pytest.skip("kamailio is not installed (docs/sip.md)")
    check = subprocess.run(  # noqa: S603
        [kamailio_bin, "-c", "-f", str(plane.kamailio_cfg)], capture_output=True, text=True, timeout=60, check=False
    )
    assert check.returncode == 0, check.stderr[-3000:]
    assert "tls: 127.0.0.1 [127.0.0.1]:18443" in check.stdout + check.stderr


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"tls_cert_file": "CERT"}, "Set both SIP_TLS_CERT_FILE and SIP_TLS_KEY_FILE"),
        ({"tls_cert_file": "CERT", "tls_key_file": "relative/key.pem"}, "SIP_TLS_KEY_FILE must be an absolute path"),
        ({"tls_cert_file": "CERT", "tls_key_file": "/nonexistent/key.pem"}, "SIP_TLS_KEY_FILE: cannot read"),
        ({"tls_cert_file": "KEY", "tls_key_file": "KEY"}, "SIP_TLS_CERT_FILE: .* is not a PEM file with a certificate"),
        (
            {"tls_cert_file": "CERT", "tls_key_file": "CERT"},
            "SIP_TLS_KEY_FILE: .* is not a PEM file with a private key",
        ),
        (
            {"tls_cert_file": "CERT", "tls_key_file": "KEY", "wss_port": 18088, "ws_port": 18088},
            "SIP_WSS_PORT must differ",
        ),
        ({"tls_cert_file": "CERT", "tls_key_file": "KEY", "wss_port": 70000}, "SIP_WSS_PORT must be a port number"),
        ({"turn_port": 0}, "TURN_PORT must be a port number"),
        ({"turn_relay_port_min": 50200}, "TURN_RELAY_PORT_MIN must be below TURN_RELAY_PORT_MAX"),
        ({"turn_relay_port_min": 30500, "turn_relay_port_max": 31500}, "must not overlap SIP_RTP_PORT_MIN-MAX"),
        ({"turn_secret": "too short"}, "TURN_SECRET must be 16-128"),
        ({"turn_realm": "Bad Realm"}, "TURN_REALM 'Bad Realm' is not a plain host name"),
        ({"turn_address": "turn.example.com"}, "TURN_ADDRESS must be an IP address"),
        ({"turn_address": ""}, "TURN_ADDRESS must be an IP address"),
        ({"turn_external_address": "turn.example.com"}, "TURN_EXTERNAL_ADDRESS must be an IP address"),
        ({"turn_address": "0.0.0.0"}, "TURN_ADDRESS must be the address coturn relays from"),  # noqa: S104
        ({"tls_cert_file": "CERT", "tls_key_file": "KEY", "turn_tls_port": 13478}, "TURN_TLS_PORT must differ"),
    ],
)
def test_bad_remote_seat_settings_are_refused_with_the_settings_name(tmp_path, certificate, changes, message):
    cert, key = certificate
    paths = {"CERT": str(cert), "KEY": str(key)}
    changes = {name: paths.get(value, value) if isinstance(value, str) else value for name, value in changes.items()}
    plane = _plane(tmp_path, **changes)
    with pytest.raises(PlaneError, match=message):
        render(plane)
    assert not (tmp_path / "run" / "kamailio.cfg").exists()


def test_turn_off_renders_no_coturn_file_and_sip_run_turn_says_why(tmp_path, settings):
    plane = _plane(tmp_path, turn_enabled=False, turn_secret="")  # an unusable secret is not checked then
    render(plane)
    assert not plane.turnserver_conf.exists()
    with pytest.raises(PlaneError, match="TURN_ENABLED is false"):
        turn_command(plane)
    settings.TURN_ENABLED = False
    settings.SIP_RUNTIME_DIR = tmp_path / "cmd"
    with pytest.raises(CommandError, match="TURN_ENABLED is false"):
        call_command("sip_run", "turn")


def test_sip_config_names_the_coturn_listener_and_warns_when_it_cannot_reach_rtpengine(tmp_path, settings, capsys):
    settings.TURN_ENABLED = True
    settings.TURN_RELAY_PORT_MIN, settings.TURN_RELAY_PORT_MAX = 50100, 50199
    settings.TURN_ALLOW_LOOPBACK_PEERS = False
    settings.SIP_RTP_ADDRESS = "127.0.0.1"
    call_command("sip_config", "--output", str(tmp_path))
    captured = capsys.readouterr()
    assert (tmp_path / "turnserver.conf").exists()
    assert "coturn: TURN 127.0.0.1:3478 (UDP, TCP); relay ports 50100-50199." in captured.out
    assert "coturn cannot relay browser media to it" in captured.err


def test_the_development_certificate_command_writes_a_pem_pair(tmp_path, capsys):
    call_command("sip_dev_certificate", "--output", str(tmp_path), "--host", "cc.example.com")
    assert "BEGIN CERTIFICATE" in (tmp_path / "cert.pem").read_text()
    assert "PRIVATE KEY" in (tmp_path / "key.pem").read_text()
    assert (tmp_path / "key.pem").stat().st_mode & 0o077 == 0
    assert "SIP_TLS_CERT_FILE=" in capsys.readouterr().out


def test_production_refuses_loopback_peers_for_coturn():
    from tests.core.test_settings_prod import _import_prod

    result = _import_prod(TURN_ALLOW_LOOPBACK_PEERS="true")
    assert result.returncode != 0
    assert "TURN_ALLOW_LOOPBACK_PEERS must not be on in production" in result.stderr
    assert _import_prod().returncode == 0
