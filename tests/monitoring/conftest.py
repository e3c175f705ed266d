"""Fixtures for health monitoring: the fake fleet of sites wired into the monitor's settings,
and the alert fakes (Telegram) from tests/alerts."""

from __future__ import annotations

import datetime as dt
import ssl

import pytest

from apps.monitoring.checker import CheckerConfig
from tests.alerts.conftest import fake_telegram, fast_retries, prefs  # noqa: F401 - fixtures
from tests.fakes.sites import FakeSites
from tests.workers.conftest import celery_worker_process  # noqa: F401  (the real worker, reused)

TENANT_HOST = {"HTTP_HOST": "acme.localhost"}


@pytest.fixture
def fake_sites(settings):
    """The sites server; the monitor checks http://<domain>:<its port>/ (*.localhost is 127.0.0.1)."""
    server = FakeSites(slow_seconds=0.5).start()
    settings.MONITOR_URL_TEMPLATE = "http://{domain}:{port}/"
    settings.MONITOR_PORT = str(server.port)
    settings.MONITOR_TIMEOUT_SECONDS = 2.0
    settings.MONITOR_SLOW_MS = 300
    settings.MONITOR_CONNECT_ADDRESS = ""
    yield server
    server.stop()


@pytest.fixture
def checker_config():
    return CheckerConfig(concurrency=20, timeout=1.5, max_redirects=3, slow_ms=300)


@pytest.fixture
def tls_material(tmp_path):
    """A private CA and a server certificate for secure.localhost signed by it (valid 20 days)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "BizOSaaS test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    not_after = now + dt.timedelta(days=20)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "secure.localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("secure.localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_file = tmp_path / "ca.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file = tmp_path / "cert.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file = tmp_path / "key.pem"
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert_file, key_file)
    return {"ca_file": str(ca_file), "server_context": server_context, "not_after": not_after}
