"""The channels against real servers on loopback (no database): what counts as sent, as worth
retrying, and as permanent."""

from __future__ import annotations

import base64
import json
import ssl
from datetime import UTC, datetime, timedelta
from ipaddress import ip_address
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from alerts.channels import (
    EmailChannel,
    Envelope,
    SmsChannel,
    SmsGatewayConfig,
    SmtpConfig,
    WebhookChannel,
    WebhookConfig,
)
from alerts.channels.base import DeliveryResult
from alerts.channels.sms import without_number
from alerts.channels.webhook import UrlRefused, UrlUnresolved, check_url, pin_url
from tests.support.delivery import HttpReceiver, SmtpServer
from tests.support.processes import free_port

SENDER = "EWS Alertas Tempranas <alertas@ews.example.org>"


def message(address: str, **more: object) -> Envelope:
    values: dict = {
        "message_id": "6f1c2a10-0000-4000-8000-000000000001",
        "address": address,
        "contact": "minjus-regional-email",
        "subject": "[EWS] CRÍTICO: Seguridad de personas defensoras",
        "text": "Nueva alerta de nivel CRÍTICO\nAcuse recibo: http://x/dashboard/alerts/1\n",
        "body": b'{"type":"alert.raised"}',
    }
    values.update(more)
    return Envelope(**values)


def test_email_is_sent_with_a_stable_message_id_over_one_kept_connection(smtp: SmtpServer) -> None:
    channel = EmailChannel(SmtpConfig(host="127.0.0.1", port=smtp.port, sender=SENDER))
    first = channel.send(message("alertas@minjus.example.org"))
    again = channel.send(message("alertas@minjus.example.org"))
    channel.close()
    assert first.sent
    assert again.sent
    ids = smtp.recorder.message_ids()
    assert ids == ["<6f1c2a10-0000-4000-8000-000000000001@ews.example.org>"] * 2
    mail = smtp.recorder.messages[0]
    assert mail["Subject"] == "[EWS] CRÍTICO: Seguridad de personas defensoras"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert "Nueva alerta de nivel CRÍTICO" in mail.get_content()


def test_a_malformed_address_is_permanent(smtp: SmtpServer) -> None:
    channel = EmailChannel(SmtpConfig(host="127.0.0.1", port=smtp.port, sender=SENDER))
    result = channel.send(message("no es un correo <<@"))
    channel.close()
    assert not result.sent
    assert not result.retryable
    assert smtp.recorder.messages == []


def test_a_kept_connection_the_server_dropped_is_replaced_without_losing_the_message() -> None:
    server = SmtpServer().start()
    channel = EmailChannel(SmtpConfig(host="127.0.0.1", port=server.port, sender=SENDER))
    assert channel.send(message("a@dp.example.org")).sent
    server.stop()
    server.start()  # the kept connection is now dead
    result = channel.send(message("b@dp.example.org"))
    channel.close()
    server.stop()
    assert result.sent
    assert len(server.recorder.to("b@dp.example.org")) == 1


def test_smtp_5xx_is_permanent_4xx_and_refused_connections_are_retried(smtp: SmtpServer) -> None:
    smtp.recorder.refuse["gone@dp.example.org"] = "550 5.1.1 mailbox unavailable"
    smtp.recorder.refuse["full@dp.example.org"] = "452 4.2.2 mailbox full, try later"
    channel = EmailChannel(SmtpConfig(host="127.0.0.1", port=smtp.port, sender=SENDER))
    gone = channel.send(message("gone@dp.example.org"))
    full = channel.send(message("full@dp.example.org"))
    channel.close()
    down = EmailChannel(SmtpConfig(host="127.0.0.1", port=free_port(), sender=SENDER, timeout_s=2))
    refused = down.send(message("x@dp.example.org"))

    assert not gone.sent
    assert not gone.retryable
    assert "550" in (gone.error or "")
    assert not full.sent
    assert full.retryable
    assert "452" in (full.error or "")
    assert not refused.sent
    assert refused.retryable
    assert "refused" in (refused.error or "").lower()


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_smtp_starttls_and_login_send_and_a_wrong_password_is_permanent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert_path, key_path = self_signed_certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_path))  # the client trusts our test CA
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert_path, key_path)
    logins: list[bytes] = []

    def authenticator(_server, session, _envelope, _mechanism, data):  # type: ignore[no-untyped-def]
        ok = isinstance(data, LoginPassword) and data.password == b"s3creta"
        if ok:
            logins.append(data.login)
        return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535

    server = SmtpServer(
        tls_context=tls,
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
    ).start()
    try:
        config = SmtpConfig(
            host="127.0.0.1",
            port=server.port,
            sender=SENDER,
            starttls=True,
            username="ews",
            password="s3creta",
        )
        good = EmailChannel(config)
        sent = good.send(message("alertas@dp.example.org"))
        good.close()
        bad = EmailChannel(SmtpConfig(**{**config.__dict__, "password": "x"}))
        refused = bad.send(message("alertas@dp.example.org"))
        plain = EmailChannel(SmtpConfig(**{**config.__dict__, "starttls": False}))
        no_tls = plain.send(message("alertas@dp.example.org"))
    finally:
        server.stop()
    assert sent.sent
    assert logins == [b"ews"]
    assert len(server.recorder.messages) == 1
    assert not refused.sent
    assert not refused.retryable
    assert "535" in (refused.error or "")
    assert not no_tls.sent
    assert len(server.recorder.messages) == 1


@pytest.mark.parametrize(
    ("status", "sent", "retryable"),
    [
        (200, True, False),
        (204, True, False),
        (400, False, False),
        (401, False, False),
        (404, False, False),
        (408, False, True),
        (429, False, True),
        (500, False, True),
        (503, False, True),
        (301, False, False),
    ],
)
def test_webhook_answers_classify(status: int, sent: bool, retryable: bool) -> None:
    with HttpReceiver(statuses=[status]) as receiver:
        channel = WebhookChannel(
            WebhookConfig(allow_private=True), secret_for=lambda _code: "whsec_" + "A" * 44
        )
        result = channel.send(message(receiver.url))
        channel.close()
    assert (result.sent, result.retryable) == (sent, retryable)
    assert receiver.requests[0].headers["content-type"] == "application/json"


def test_a_webhook_that_times_out_is_retried() -> None:
    with HttpReceiver(delay_s=1.0) as receiver:
        channel = WebhookChannel(
            WebhookConfig(allow_private=True, timeout_s=0.2),
            secret_for=lambda _code: "whsec_" + "A" * 44,
        )
        result = channel.send(message(receiver.url))
        channel.close()
    assert not result.sent
    assert result.retryable
    assert "Timeout" in (result.error or "")


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.9",
        "192.168.1.1",
        "169.254.169.254",
        "::1",
        "fc00::1",
        "fe80::1",
        "0.0.0.0",
        "100.64.0.1",
        "::ffff:127.0.0.1",
        "224.0.0.1",
    ],
)
def test_webhook_urls_into_private_ranges_are_refused(address: str) -> None:
    with pytest.raises(UrlRefused):
        check_url(
            "https://hooks.example.org/x", allow_private=False, resolver=lambda _h, _p: [address]
        )
    check_url("https://hooks.example.org/x", allow_private=True, resolver=lambda _h, _p: [address])


def test_webhook_urls_to_public_addresses_and_only_http_pass() -> None:
    check_url(
        "https://hooks.example.org/x", allow_private=False, resolver=lambda _h, _p: ["8.8.8.8"]
    )
    with pytest.raises(UrlRefused):  # one private answer among public ones is enough to refuse
        check_url(
            "https://hooks.example.org/x",
            allow_private=False,
            resolver=lambda _h, _p: ["8.8.8.8", "10.0.0.1"],
        )
    for url in ("ftp://hooks.example.org/x", "file:///etc/passwd", "hooks.example.org"):
        with pytest.raises(UrlRefused):
            check_url(url, allow_private=True)
    with pytest.raises(UrlRefused):
        check_url("http://localhost:9/x", allow_private=False)


def test_a_webhook_connects_to_the_address_it_checked_not_a_second_answer() -> None:
    """A DNS server that answers a checked address first and another one next (rebinding) cannot
    steer the request: the name is resolved once and the connection goes to that address, with
    the name kept in the Host header."""
    with (
        HttpReceiver(host="127.0.0.2") as checked,
        HttpReceiver(host="127.0.0.1", port=checked.bound_port) as other,
    ):
        answers = iter([["127.0.0.2"], ["127.0.0.1"], ["127.0.0.1"]])
        asked: list[str] = []

        def rebinding(host: str, _port: int) -> list[str]:
            asked.append(host)
            return next(answers)

        channel = WebhookChannel(
            WebhookConfig(allow_private=True),
            secret_for=lambda _code: "whsec_" + "A" * 44,
            resolver=rebinding,
        )
        url = f"http://hooks.example.test:{checked.bound_port}/hook?x=1"
        result = channel.send(message(url))
        channel.close()
    assert result.sent, result.error
    assert asked == ["hooks.example.test"]
    [request] = checked.requests
    assert request.headers["host"] == f"hooks.example.test:{checked.bound_port}"
    assert request.path == "/hook?x=1"
    assert other.requests == []


def test_pinning_keeps_the_name_for_tls_and_refuses_private_answers() -> None:
    pinned = pin_url(
        "https://user:pw@hooks.example.org:8443/a/b?c=d",
        allow_private=False,
        resolver=lambda _h, _p: ["8.8.8.8"],
    )
    assert pinned.url == "https://user:pw@8.8.8.8:8443/a/b?c=d"
    assert (pinned.hostname, pinned.host_header) == ("hooks.example.org", "hooks.example.org:8443")
    six = pin_url(
        "https://hooks.example.org/x",
        allow_private=False,
        resolver=lambda _h, _p: ["2001:4860:4860::8888"],
    )
    assert six.url == "https://[2001:4860:4860::8888]/x"
    with pytest.raises(UrlRefused, match="privada"):
        pin_url("https://10.0.0.1/x", allow_private=False)
    with pytest.raises(UrlUnresolved):
        pin_url("https://nowhere.invalid/x", allow_private=False)


def test_a_webhook_whose_name_does_not_resolve_is_retried_not_dropped() -> None:
    def failing(_host: str, _port: int) -> list[str]:
        raise OSError("Name or service not known")

    channel = WebhookChannel(
        WebhookConfig(), secret_for=lambda _code: "whsec_" + "A" * 44, resolver=failing
    )
    result = channel.send(message("https://hooks.example.org/x"))
    assert not result.sent
    assert result.retryable
    assert "no se resuelve" in (result.error or "")


def test_sms_goes_to_the_gateway_with_its_template_and_credentials() -> None:
    with HttpReceiver(statuses=[202]) as gateway:
        channel = SmsChannel(SmsGatewayConfig(url=gateway.url, username="ews", password="clave"))
        result = channel.send(
            message("+51961000111", text="EWS CRÍTICO: Seguridad, Flor de Ucayali.")
        )
        channel.close()
    assert result.sent
    [request] = gateway.requests
    assert json.loads(request.body) == {
        "to": "+51961000111",
        "text": "EWS CRÍTICO: Seguridad, Flor de Ucayali.",
    }
    assert request.headers["authorization"] == "Basic " + base64.b64encode(b"ews:clave").decode()
    assert request.headers["idempotency-key"] == "6f1c2a10-0000-4000-8000-000000000001"


def test_sms_without_a_gateway_or_refused_by_it() -> None:
    unset = SmsChannel(SmsGatewayConfig(url=None)).send(message("+51961000111"))
    assert not unset.sent
    assert unset.retryable
    with HttpReceiver(statuses=[422]) as gateway:
        channel = SmsChannel(SmsGatewayConfig(url=gateway.url))
        bad = channel.send(message("not-a-number"))
        channel.close()
    assert not bad.sent
    assert not bad.retryable
    assert "422" in (bad.error or "")


def test_an_sms_error_never_keeps_the_recipient_number() -> None:
    echoed = DeliveryResult.permanent('HTTP 400: {"error": "blocked +51961222333 (961222333)"}')
    cleaned = without_number(echoed, "+51961222333")
    assert cleaned.error == 'HTTP 400: {"error": "blocked [número] ([número])"}'
    assert cleaned.retryable is False
    assert without_number(DeliveryResult.ok(), "+51961222333") == DeliveryResult.ok()
