"""The SIP plane's configuration: Kamailio and rtpengine files rendered from deploy/sip/*.tmpl.

Why rendered rather than shipped: addresses, ports, the database login and the routing secret
come from settings (and differ per test worker), while the routing logic stays in one reviewed
template. Placeholders are ``{{ name }}``; an unknown or missing one is an error, so a template
and this module cannot drift apart silently.

Kamailio's database login never goes into the file: the password, a Unix-socket directory and
``search_path=kamailio`` reach libpq through the environment (:func:`kamailio_environment`).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import re
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import unquote, urlparse

from django.conf import settings
from django.db import connection

TEMPLATE_DIR = Path(settings.BASE_DIR) / "deploy" / "sip"
KAMAILIO_TEMPLATE = "kamailio.cfg.tmpl"
RTPENGINE_TEMPLATE = "rtpengine.conf.tmpl"
TLS_TEMPLATE = "tls.cfg.tmpl"
TURN_TEMPLATE = "turnserver.conf.tmpl"
PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
TURN_SECRET_RE = SECRET_RE


class PlaneError(Exception):
    """The SIP plane cannot be configured or started as asked (message for the operator)."""


@dataclass(frozen=True)
class KamailioDatabase:
    """How Kamailio reaches PostgreSQL: a db_url without secrets, plus libpq environment."""

    url: str
    environment: dict[str, str]


@dataclass(frozen=True)
class SipPlane:
    """Every value the templates need; built from settings, overridable (tests use free ports)."""

    platform_domain: str
    sip_address: str
    sip_port: int
    advertised_address: str
    ws_address: str
    ws_port: int
    routing_address: str
    routing_port: int
    routing_secret: str
    routing_timeout: int
    engine_address: str
    engine_port: int
    rtpengine_ng_address: str
    rtpengine_ng_port: int
    rtp_address: str
    rtp_port_min: int
    rtp_port_max: int
    runtime_dir: Path
    children: int
    async_workers: int
    database: KamailioDatabase
    keepalive_seconds: int = 300
    keepalive_failures: int = 2  # unanswered keep-alives before the call is ended
    log_level: int = 2
    rtpengine_log_level: int = 5
    # WSS: Kamailio's tls module on wss_port when both PEM files are given (docs/sip.md "Remote seats").
    wss_port: int = 8443
    tls_cert_file: str = ""
    tls_key_file: str = ""
    # coturn (apps/sip/turn.py hands out its credentials).
    turn_enabled: bool = False
    turn_address: str = "127.0.0.1"
    turn_port: int = 3478
    turn_tls_port: int = 5349
    turn_external_address: str = ""
    turn_relay_port_min: int = 49160
    turn_relay_port_max: int = 49999
    turn_realm: str = ""
    turn_secret: str = ""
    turn_allow_loopback: bool = False
    turn_log_sessions: bool = True
    extra: dict[str, str] = field(default_factory=dict)

    def with_changes(self, **changes) -> SipPlane:
        return replace(self, **changes)

    @property
    def kamailio_cfg(self) -> Path:
        return self.runtime_dir / "kamailio.cfg"

    @property
    def rtpengine_conf(self) -> Path:
        return self.runtime_dir / "rtpengine.conf"

    @property
    def control_socket(self) -> Path:
        return self.runtime_dir / "kamailio_ctl"

    @property
    def tls_enabled(self) -> bool:
        return bool(self.tls_cert_file or self.tls_key_file)

    @property
    def tls_cfg(self) -> Path:
        return self.runtime_dir / "tls.cfg"

    @property
    def turnserver_conf(self) -> Path:
        return self.runtime_dir / "turnserver.conf"


def routing_secret() -> str:
    """The secret Kamailio presents to the routing endpoint.

    Derived from SECRET_KEY unless SIP_ROUTING_SECRET is set, so that the web side and the
    rendered Kamailio file agree without another value to distribute.
    """
    configured = settings.SIP_ROUTING_SECRET
    if configured:
        if not SECRET_RE.match(configured):
            raise PlaneError("SIP_ROUTING_SECRET must be 16-128 letters, digits, '-' or '_'.")
        return configured
    if not settings.SECRET_KEY:
        raise PlaneError("Set DJANGO_SECRET_KEY (or SIP_ROUTING_SECRET): the routing secret derives from it.")
    return hmac.new(settings.SECRET_KEY.encode(), b"sip-routing-endpoint", hashlib.sha256).hexdigest()


def kamailio_database(settings_dict: dict | None = None, url: str | None = None) -> KamailioDatabase:
    """Kamailio's db_url and libpq environment for SIP_DATABASE_URL, or else the app's own database.

    Kamailio's URL parser takes no socket directory and no escaped characters, so a socket
    directory goes to PGHOST and the password to PGPASSWORD; PGOPTIONS puts Kamailio's queries in
    the ``kamailio`` schema. This is what lets it use the embedded server, which listens on a Unix
    socket only (docs/decisions/0005-sip-plane.md).
    """
    url = url if url is not None else settings.SIP_DATABASE_URL
    if url:
        parts = urlparse(url)
        query = dict(item.split("=", 1) for item in parts.query.split("&") if "=" in item)
        values = {
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": unquote(query.get("host", "") or (parts.hostname or "")),
            "PORT": parts.port or "",
            "NAME": unquote(parts.path.lstrip("/")),
        }
    else:
        source = settings_dict if settings_dict is not None else connection.settings_dict
        values = {key: source.get(key) or "" for key in ("USER", "PASSWORD", "HOST", "PORT", "NAME")}
    if not values["NAME"]:
        raise PlaneError("No database name for Kamailio (SIP_DATABASE_URL or DATABASES).")
    environment = {"PGOPTIONS": "-c search_path=kamailio", "TZ": "UTC"}
    host = str(values["HOST"])
    if host.startswith("/"):
        environment["PGHOST"] = host
        host = ""
    if values["PASSWORD"]:
        environment["PGPASSWORD"] = str(values["PASSWORD"])
    port = f":{values['PORT']}" if values["PORT"] and host else ""
    if values["PORT"] and not host:
        environment["PGPORT"] = str(values["PORT"])
    user = str(values["USER"] or "postgres")
    for name, value in (("user", user), ("database", str(values["NAME"]))):
        if re.search(r"[:@/?#\s]", value):
            raise PlaneError(f"Kamailio cannot use a database {name} containing ':', '@', '/', '?', '#' or spaces.")
    return KamailioDatabase(url=f"postgres://{user}@{host}{port}/{values['NAME']}", environment=environment)


def plane_from_settings(**overrides) -> SipPlane:
    values = {
        "platform_domain": settings.PLATFORM_DOMAIN,
        "sip_address": settings.SIP_ADDRESS,
        "sip_port": settings.SIP_PORT,
        "advertised_address": settings.SIP_ADVERTISED_ADDRESS,
        "ws_address": settings.SIP_WS_ADDRESS,
        "ws_port": settings.SIP_WS_PORT,
        "routing_address": settings.SIP_ROUTING_ADDRESS,
        "routing_port": settings.SIP_ROUTING_PORT,
        "routing_timeout": settings.SIP_ROUTING_TIMEOUT_SECONDS,
        "engine_address": settings.SIP_ENGINE_ADDRESS,
        "engine_port": settings.SIP_ENGINE_PORT,
        "rtpengine_ng_address": "127.0.0.1",
        "rtpengine_ng_port": settings.SIP_RTPENGINE_NG_PORT,
        "rtp_address": settings.SIP_RTP_ADDRESS,
        "rtp_port_min": settings.SIP_RTP_PORT_MIN,
        "rtp_port_max": settings.SIP_RTP_PORT_MAX,
        "runtime_dir": Path(settings.SIP_RUNTIME_DIR),
        "children": settings.SIP_KAMAILIO_CHILDREN,
        "async_workers": settings.SIP_KAMAILIO_ASYNC_WORKERS,
        "keepalive_seconds": settings.SIP_KEEPALIVE_SECONDS,
        "wss_port": settings.SIP_WSS_PORT,
        "tls_cert_file": settings.SIP_TLS_CERT_FILE,
        "tls_key_file": settings.SIP_TLS_KEY_FILE,
        "turn_enabled": settings.TURN_ENABLED,
        "turn_address": settings.TURN_ADDRESS,
        "turn_port": settings.TURN_PORT,
        "turn_tls_port": settings.TURN_TLS_PORT,
        "turn_external_address": settings.TURN_EXTERNAL_ADDRESS,
        "turn_relay_port_min": settings.TURN_RELAY_PORT_MIN,
        "turn_relay_port_max": settings.TURN_RELAY_PORT_MAX,
        "turn_realm": settings.TURN_REALM or settings.PLATFORM_DOMAIN,
        "turn_allow_loopback": settings.TURN_ALLOW_LOOPBACK_PEERS,
        "turn_log_sessions": settings.TURN_LOG_SESSIONS,
    }
    values.update(overrides)
    if "routing_secret" not in values:
        values["routing_secret"] = routing_secret()
    if "turn_secret" not in values:
        from apps.sip.turn import turn_secret  # noqa: PLC0415 - turn.py reads this module's PlaneError

        values["turn_secret"] = turn_secret()
    if "database" not in values:
        values["database"] = kamailio_database()
    return SipPlane(**values)


def _validate(plane: SipPlane) -> None:
    ports = {
        "SIP_PORT": plane.sip_port,
        "SIP_WS_PORT": plane.ws_port,
        "SIP_ROUTING_PORT": plane.routing_port,
        "SIP_ENGINE_PORT": plane.engine_port,
        "SIP_RTPENGINE_NG_PORT": plane.rtpengine_ng_port,
        "SIP_RTP_PORT_MIN": plane.rtp_port_min,
        "SIP_RTP_PORT_MAX": plane.rtp_port_max,
    }
    for name, port in ports.items():
        if not 1 <= int(port) <= 65535:
            raise PlaneError(f"{name} must be a port number (1-65535), not {port}.")
    if plane.rtp_port_min >= plane.rtp_port_max:
        raise PlaneError("SIP_RTP_PORT_MIN must be below SIP_RTP_PORT_MAX.")
    if plane.sip_port == plane.ws_port and plane.sip_address == plane.ws_address:
        raise PlaneError("SIP_PORT and SIP_WS_PORT must differ.")
    if not SECRET_RE.match(plane.routing_secret):
        raise PlaneError("The routing secret must be 16-128 letters, digits, '-' or '_'.")
    if not 1 <= plane.routing_timeout <= 10:
        raise PlaneError("SIP_ROUTING_TIMEOUT_SECONDS must be between 1 and 10.")
    if not 30 <= plane.keepalive_seconds <= 3600:
        raise PlaneError("SIP_KEEPALIVE_SECONDS must be between 30 and 3600.")
    if not re.match(r"^[a-z0-9.-]+$", plane.platform_domain):
        raise PlaneError(f"PLATFORM_DOMAIN {plane.platform_domain!r} is not a plain host name.")
    _validate_tls(plane)
    if plane.turn_enabled:
        _validate_turn(plane)


def _validate_tls(plane: SipPlane) -> None:
    if not plane.tls_enabled:
        return
    if not (plane.tls_cert_file and plane.tls_key_file):
        raise PlaneError("Set both SIP_TLS_CERT_FILE and SIP_TLS_KEY_FILE (PEM files), or neither (no WSS).")
    if not 1 <= int(plane.wss_port) <= 65535:
        raise PlaneError(f"SIP_WSS_PORT must be a port number (1-65535), not {plane.wss_port}.")
    if plane.wss_port in (plane.sip_port, plane.ws_port):
        raise PlaneError("SIP_WSS_PORT must differ from SIP_PORT and SIP_WS_PORT.")
    for name, path, marker in (
        ("SIP_TLS_CERT_FILE", plane.tls_cert_file, "CERTIFICATE-----"),
        ("SIP_TLS_KEY_FILE", plane.tls_key_file, "PRIVATE KEY-----"),
    ):
        if not Path(path).is_absolute():
            raise PlaneError(f"{name} must be an absolute path, not {path!r}.")
        try:
            text = Path(path).read_text(errors="replace")
        except OSError as error:
            raise PlaneError(f"{name}: cannot read {path} ({error.strerror}).") from None
        if marker not in text:
            raise PlaneError(f"{name}: {path} is not a PEM file with a {marker.rstrip('-').lower()}.")


def _validate_turn(plane: SipPlane) -> None:
    ports = {
        "TURN_PORT": plane.turn_port,
        "TURN_TLS_PORT": plane.turn_tls_port,
        "TURN_RELAY_PORT_MIN": plane.turn_relay_port_min,
        "TURN_RELAY_PORT_MAX": plane.turn_relay_port_max,
    }
    for name, port in ports.items():
        if not 1 <= int(port) <= 65535:
            raise PlaneError(f"{name} must be a port number (1-65535), not {port}.")
    if plane.turn_relay_port_min >= plane.turn_relay_port_max:
        raise PlaneError("TURN_RELAY_PORT_MIN must be below TURN_RELAY_PORT_MAX.")
    if plane.turn_relay_port_min <= plane.rtp_port_max and plane.rtp_port_min <= plane.turn_relay_port_max:
        raise PlaneError("TURN_RELAY_PORT_MIN-MAX must not overlap SIP_RTP_PORT_MIN-MAX (rtpengine's media ports).")
    if plane.tls_enabled and plane.turn_tls_port == plane.turn_port:
        raise PlaneError("TURN_TLS_PORT must differ from TURN_PORT.")
    if not re.match(r"^[a-z0-9.-]+$", plane.turn_realm):
        raise PlaneError(f"TURN_REALM {plane.turn_realm!r} is not a plain host name.")
    if not TURN_SECRET_RE.match(plane.turn_secret):
        raise PlaneError("TURN_SECRET must be 16-128 letters, digits, '-' or '_'.")
    for name, address in (("TURN_ADDRESS", plane.turn_address), ("TURN_EXTERNAL_ADDRESS", plane.turn_external_address)):
        if (address or name == "TURN_ADDRESS") and not _is_ip(address):
            raise PlaneError(f"{name} must be an IP address (coturn binds and advertises addresses), not {address!r}.")
    if ipaddress.ip_address(plane.turn_address).is_unspecified:
        raise PlaneError(
            f"TURN_ADDRESS must be the address coturn relays from, not {plane.turn_address}"
            " (it defaults to SIP_ADDRESS: set it on its own)."
        )


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def turn_peer_rules(plane: SipPlane) -> str:
    """coturn's peer rules: relay to rtpengine only, never to anything else.

    Every address is denied and rtpengine's (SIP_RTP_ADDRESS, and the advertised one behind NAT)
    allowed, so a TURN credential is no open relay into the network or the Internet. Loopback
    peers are refused by coturn before these rules unless ``allow-loopback-peers`` (dev, tests).
    """
    lines = [
        "denied-peer-ip=0.0.0.0-255.255.255.255",
        "denied-peer-ip=::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    ]
    for address in dict.fromkeys(filter(None, (plane.rtp_address, plane.advertised_address))):
        lines.append(f"allowed-peer-ip={address}")
    if plane.turn_allow_loopback:
        lines.append("allow-loopback-peers")
    return "\n".join(lines)


def _ere_escape(text: str) -> str:
    return re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", text)


def template_values(plane: SipPlane) -> dict[str, str]:
    domain = _ere_escape(plane.platform_domain)
    advertise = f" advertise {plane.advertised_address}:{plane.sip_port}" if plane.advertised_address else ""
    ws_advertise = f" advertise {plane.advertised_address}:{plane.ws_port}" if plane.advertised_address else ""
    wss_advertise = f" advertise {plane.advertised_address}:{plane.wss_port}" if plane.advertised_address else ""
    rtp_interface = plane.rtp_address
    if plane.advertised_address:
        rtp_interface = f"{plane.rtp_address}!{plane.advertised_address}"
    values = {
        "platform_domain": plane.platform_domain,
        # A tenant domain: <slug>.<platform domain> (slugs are lowercase letters, digits and dashes).
        "tenant_domain_re": f"^[a-z0-9][a-z0-9-]*\\.{domain}$",
        # Browsers may open the softphone socket from the platform's own pages only.
        "origin_re": f"^https?://([a-z0-9-]+\\.)?{domain}(:[0-9]+)?$",
        "sip_address": plane.sip_address,
        "sip_port": str(plane.sip_port),
        "advertise": advertise,
        "ws_address": plane.ws_address,
        "ws_port": str(plane.ws_port),
        "ws_advertise": ws_advertise,
        "wss_advertise": wss_advertise,
        "routing_address": plane.routing_address,
        "routing_port": str(plane.routing_port),
        "routing_secret": plane.routing_secret,
        "routing_timeout": str(plane.routing_timeout),
        "engine_address": plane.engine_address,
        "engine_port": str(plane.engine_port),
        "rtpengine_ng_address": plane.rtpengine_ng_address,
        "rtpengine_ng_port": str(plane.rtpengine_ng_port),
        "rtp_interface": rtp_interface,
        "rtp_port_min": str(plane.rtp_port_min),
        "rtp_port_max": str(plane.rtp_port_max),
        "run_dir": str(plane.runtime_dir),
        "recording_dir": str(plane.runtime_dir / "recordings"),
        "children": str(plane.children),
        "async_workers": str(plane.async_workers),
        "keepalive_seconds": str(plane.keepalive_seconds),
        "keepalive_failures": str(plane.keepalive_failures),
        "db_url": plane.database.url,
        "log_level": str(plane.log_level),
        "rtpengine_log_level": str(plane.rtpengine_log_level),
        # WSS: the #!ifdef WITH_TLS blocks of kamailio.cfg.tmpl; wss_port 0 when off (no port is 0).
        "tls_defines": "#!define WITH_TLS" if plane.tls_enabled else "# WSS off: no SIP_TLS_CERT_FILE",
        "wss_port": str(plane.wss_port if plane.tls_enabled else 0),
        "tls_cfg": str(plane.tls_cfg),
        "tls_cert_file": plane.tls_cert_file,
        "tls_key_file": plane.tls_key_file,
        # coturn
        "turn_address": plane.turn_address,
        "turn_port": str(plane.turn_port),
        "turn_relay_port_min": str(plane.turn_relay_port_min),
        "turn_relay_port_max": str(plane.turn_relay_port_max),
        "turn_realm": plane.turn_realm,
        "turn_secret": plane.turn_secret,
        "turn_external": f"external-ip={plane.turn_external_address}" if plane.turn_external_address else "",
        "turn_tls": (
            f"tls-listening-port={plane.turn_tls_port}\ncert={plane.tls_cert_file}\npkey={plane.tls_key_file}\nno-dtls"
            if plane.tls_enabled
            else "no-tls\nno-dtls"
        ),
        "turn_peers": turn_peer_rules(plane),
        "turn_verbose": "verbose" if plane.turn_log_sessions else "# TURN_LOG_SESSIONS off: errors only",
    }
    values.update(plane.extra)
    return values


def render_text(template: str, values: dict[str, str]) -> str:
    missing = sorted({name for name in PLACEHOLDER.findall(template) if name not in values})
    if missing:
        raise PlaneError(f"Template placeholders without a value: {', '.join(missing)}.")
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], template)


def render(plane: SipPlane, *, template_dir: Path = TEMPLATE_DIR) -> list[Path]:
    """Write kamailio.cfg and rtpengine.conf into the plane's runtime directory (mode 0600: a secret)."""
    _validate(plane)
    values = template_values(plane)
    plane.runtime_dir.mkdir(parents=True, exist_ok=True)
    (plane.runtime_dir / "recordings").mkdir(exist_ok=True)
    written = []
    files = [(KAMAILIO_TEMPLATE, plane.kamailio_cfg), (RTPENGINE_TEMPLATE, plane.rtpengine_conf)]
    if plane.tls_enabled:
        files.append((TLS_TEMPLATE, plane.tls_cfg))
    if plane.turn_enabled:
        files.append((TURN_TEMPLATE, plane.turnserver_conf))
    for template_name, target in files:
        text = render_text((template_dir / template_name).read_text(), values)
        partial = target.with_name(f".{target.name}.{os.getpid()}.new")  # sip_run processes may render at once
        partial.write_text(text)
        partial.chmod(0o600)
        partial.replace(target)
        written.append(target)
    return written


def binary(name: str) -> str | None:
    """The full path of the Kamailio, rtpengine or coturn binary named in settings, or None."""
    configured = {
        "kamailio": settings.SIP_KAMAILIO_BIN,
        "rtpengine": settings.SIP_RTPENGINE_BIN,
        "turn": settings.SIP_TURN_BIN,
    }[name]
    return shutil.which(configured)


def turn_command(plane: SipPlane) -> list[str]:
    if not plane.turn_enabled:
        raise PlaneError('TURN_ENABLED is false: there is no coturn to run (docs/sip.md, "Remote seats").')
    path = binary("turn")
    if path is None:
        raise PlaneError(f"{settings.SIP_TURN_BIN} not found: install the Debian package coturn (docs/sip.md).")
    return [path, "-c", str(plane.turnserver_conf)]


def kamailio_command(plane: SipPlane) -> list[str]:
    path = binary("kamailio")
    if path is None:
        raise PlaneError(f"{settings.SIP_KAMAILIO_BIN} not found: install the Debian packages (docs/sip.md).")
    # -DD: stay in the foreground (the supervisor owns it); -E: log to stderr.
    return [
        path,
        "-f",
        str(plane.kamailio_cfg),
        "-DD",
        "-E",
        "-Y",
        str(plane.runtime_dir),
        "-w",
        str(plane.runtime_dir),
    ]


def rtpengine_command(plane: SipPlane) -> list[str]:
    path = binary("rtpengine")
    if path is None:
        raise PlaneError(f"{settings.SIP_RTPENGINE_BIN} not found: install the Debian packages (docs/sip.md).")
    return [path, f"--config-file={plane.rtpengine_conf}"]


def kamailio_environment(plane: SipPlane, base: dict[str, str]) -> dict[str, str]:
    environment = {key: value for key, value in base.items() if not key.startswith("PG")}
    environment.update(plane.database.environment)
    return environment
