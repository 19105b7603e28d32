"""The delivery log in words a person can act on: what happened to a message, why, and what to do.

Pure: the outbox row's status, channel, attempts and last error in, a short explanation out, in
Spanish or English. The raw error stays available on the page for whoever needs the detail.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ews.models import OutboxStatus
from ews.web.i18n import Lang


@dataclass(frozen=True)
class Explanation:
    what: str  # what happened, in one sentence
    todo: str  # what a person can do about it ("" when nothing is needed)


HELD = r"^simulacro retenido"
# (pattern in the error, what happened es, to do es, what happened en, to do en). First match wins.
CAUSES: tuple[tuple[str, str, str, str, str], ...] = (
    (
        HELD,
        "Simulacro retenido: el mensaje es de una comunidad sintética (demostración) y este "
        "contacto no es una dirección de example.org, así que no se envió.",
        "Nada: los ejercicios nunca salen hacia direcciones reales.",
        "Drill held: the message is about a synthetic (demo) community and this contact is not an "
        "example.org address, so it was not sent.",
        "Nothing: drills never go to real addresses.",
    ),
    (
        r"contact inactive or removed|contacto inactivo",
        "El contacto fue desactivado o retirado después de poner el mensaje en cola.",
        "Si debía recibirlo, reactive el contacto (fixtures/contacts.yaml y `ews init`) y reenvíe.",
        "The contact was deactivated or removed after the message was queued.",
        "If it should receive it, reactivate the contact (fixtures/contacts.yaml and `ews init`) "
        "and requeue.",
    ),
    (
        r"no SMS gateway configured|sin pasarela SMS",
        "No hay pasarela SMS configurada, así que ningún SMS puede salir.",
        "Configure EWS_SMS_GATEWAY_URL (y sus credenciales) y reinicie el servicio.",
        "No SMS gateway is configured, so no SMS can go out.",
        "Set EWS_SMS_GATEWAY_URL (and its credentials) and restart the service.",
    ),
    (
        r"private|loopback|link-local|privad",
        "La dirección del webhook apunta a una red privada o local y se rechaza por seguridad.",
        "Use la URL pública del receptor, o EWS_WEBHOOK_ALLOW_PRIVATE=true si el receptor está en "
        "su propia red.",
        "The webhook address points at a private or local network and is refused for safety.",
        "Use the receiver's public URL, or EWS_WEBHOOK_ALLOW_PRIVATE=true if it is on your own "
        "network.",
    ),
    (
        r"invalid address|dirección inválida",
        "La dirección del contacto no es válida.",
        "Corrija la dirección del contacto y reenvíe el mensaje.",
        "The contact's address is not valid.",
        "Fix the contact's address and requeue the message.",
    ),
    (
        r"recipient refused|SMTP 5\d\d",
        "El servidor de correo rechazó el mensaje o la dirección del destinatario.",
        "Verifique la dirección del contacto con la institución; luego reenvíe.",
        "The mail server refused the message or the recipient's address.",
        "Check the contact's address with the institution; then requeue.",
    ),
    (
        r"SMTP 4\d\d",
        "El servidor de correo rechazó el mensaje por ahora (un fallo temporal).",
        "Nada por ahora: se reintenta solo.",
        "The mail server refused the message for now (a temporary failure).",
        "Nothing for now: it is retried automatically.",
    ),
    (
        r"ConnectionRefused|Connection refused",
        "No se pudo conectar: el servidor de destino rechazó la conexión (¿está apagado o es otro "
        "puerto?).",
        "Revise que el servidor esté en marcha y la configuración (correo: EWS_SMTP_HOST y "
        "EWS_SMTP_PORT; webhook: la URL del contacto).",
        "Could not connect: the destination server refused the connection (is it down, or on "
        "another port?).",
        "Check that the server is running and the settings (mail: EWS_SMTP_HOST and "
        "EWS_SMTP_PORT; webhook: the contact's URL).",
    ),
    (
        r"[Tt]imeout|timed out",
        "El servidor de destino no respondió a tiempo.",
        "Suele ser pasajero y se reintenta solo; si se repite, revise la red y el servidor.",
        "The destination server did not answer in time.",
        "Usually passing and retried automatically; if it repeats, check the network and server.",
    ),
    (
        r"Name or service not known|getaddrinfo|nodename nor servname|No address associated",
        "No se encontró el servidor de destino (el nombre no existe en el DNS).",
        "Corrija el nombre del servidor (EWS_SMTP_HOST o la URL del webhook).",
        "The destination server was not found (the name does not exist in DNS).",
        "Fix the server's name (EWS_SMTP_HOST or the webhook URL).",
    ),
    (
        r"HTTP (401|403)",
        "El receptor del webhook rechazó el mensaje por falta de permiso (¿firma o secreto?).",
        "Compare el secreto del receptor con `ews webhook-secret CÓDIGO` y reenvíe.",
        "The webhook receiver refused the message as unauthorized (signature or secret?).",
        "Compare the receiver's secret with `ews webhook-secret CODE` and requeue.",
    ),
    (
        r"HTTP 404",
        "La URL del webhook no existe en el receptor.",
        "Corrija la URL del contacto con la institución y reenvíe.",
        "The webhook URL does not exist on the receiver.",
        "Fix the contact's URL with the institution and requeue.",
    ),
    (
        r"HTTP (5\d\d|408|429)",
        "El receptor del webhook falló o pidió esperar.",
        "Nada por ahora: se reintenta solo; si se repite, avise a la institución.",
        "The webhook receiver failed or asked to wait.",
        "Nothing for now: it is retried automatically; if it repeats, tell the institution.",
    ),
    (
        r"HTTP 4\d\d",
        "El receptor del webhook rechazó el mensaje.",
        "Revise con la institución qué espera su receptor y reenvíe.",
        "The webhook receiver refused the message.",
        "Check with the institution what its receiver expects, then requeue.",
    ),
)


def explain_delivery(
    *, status: str, last_error: str | None, attempts: int, max_attempts: int, lang: Lang
) -> Explanation:
    """What happened to one message, and what to do. ``status`` is the outbox status."""
    english = lang is Lang.en
    if status == OutboxStatus.sent:
        return Explanation("Delivered." if english else "Entregado.", "")
    cause = _cause(last_error, english)
    if status == OutboxStatus.dead:
        if last_error and re.search(HELD, last_error):
            return cause or Explanation("", "")
        gave_up = (
            f"It will not be sent: it failed {attempts} time(s) and is no longer retried."
            if english
            else f"No se enviará: falló {attempts} vez/veces y ya no se reintenta."
        )
        if cause is None:
            fix = (
                "Read the technical detail, fix the cause, then requeue it."
                if english
                else "Lea el detalle técnico, corrija la causa y luego reenvíelo."
            )
            return Explanation(gave_up, fix)
        if cause.todo.startswith(("Nothing", "Nada")):  # a passing cause that did not pass
            fix = (
                "Once the destination works again, requeue it."
                if english
                else "Cuando el destino vuelva a funcionar, reenvíelo."
            )
            return Explanation(f"{cause.what} {gave_up}", fix)
        return Explanation(f"{cause.what} {gave_up}", cause.todo)
    if last_error is None:
        waiting = "Waiting to be sent." if english else "En cola para enviarse."
        return Explanation(waiting, "")
    retry = (
        f"Attempt {attempts} of {max_attempts} failed; it will be tried again."
        if english
        else f"Falló el intento {attempts} de {max_attempts}; se volverá a intentar."
    )
    if cause is None:
        return Explanation(retry, "")
    return Explanation(f"{cause.what} {retry}", cause.todo)


def _cause(error: str | None, english: bool) -> Explanation | None:
    if not error:
        return None
    for pattern, what_es, todo_es, what_en, todo_en in CAUSES:
        if re.search(pattern, error):
            return Explanation(what_en, todo_en) if english else Explanation(what_es, todo_es)
    return None


def describe_digest(payload: Mapping[str, Any], lang: Lang) -> str:
    """What a daily digest's message is, in words: its day and what it counted (``payload`` is the
    outbox row's, as :mod:`ews.delivery.digests` writes it)."""
    digest = payload.get("digest")
    digest = digest if isinstance(digest, Mapping) else {}
    counts = digest.get("counts")
    counts = counts if isinstance(counts, Mapping) else {}
    day = str(payload.get("day") or digest.get("day") or "?")
    n = {k: int(counts.get(k) or 0) for k in ("unacknowledged", "overdue", "pending", "new")}
    if lang is Lang.en:
        return (
            f"Daily digest of {day}: {n['unacknowledged']} open and unacknowledged alert(s), "
            f"{n['overdue']} overdue and {n['pending']} pending action(s), {n['new']} new alert(s)."
        )
    return (
        f"Resumen diario del {day}: {n['unacknowledged']} alerta(s) abierta(s) sin acuse, "
        f"{n['overdue']} acción(es) vencida(s) y {n['pending']} pendiente(s), "
        f"{n['new']} alerta(s) nueva(s)."
    )
