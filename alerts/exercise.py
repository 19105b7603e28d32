"""Exercises (simulacros): alerts of synthetic communities, which must never look or travel like a
real emergency.

Their messages say "SIMULACRO" in the subject and on the first line (the templates read
``Notice.exercise``), their CAP is ``status Exercise``, and they reach only addresses under the
reserved ``example.org`` domain (RFC 2606), whatever contacts a deployment has: the delivery worker
asks :func:`exercise_recipient_refusal` before sending one.
"""

from __future__ import annotations

from email.utils import parseaddr
from urllib.parse import urlsplit

EXERCISE_DOMAIN = "example.org"


def _under_exercise_domain(host: str) -> bool:
    host = host.strip().rstrip(".").lower()
    return host == EXERCISE_DOMAIN or host.endswith("." + EXERCISE_DOMAIN)


def exercise_recipient_refusal(channel: str, address: str) -> str | None:
    """Why an exercise may not go to ``address`` over ``channel``, or ``None`` if it may.

    E-mail: the domain must be ``example.org`` or under it. Webhook: the URL's host likewise. SMS: a
    phone number belongs to a real person, so an exercise is never texted.
    """
    if channel == "email":
        domain = parseaddr(address)[1].rpartition("@")[2]
        allowed = bool(domain) and _under_exercise_domain(domain)
    elif channel == "webhook":
        allowed = _under_exercise_domain(urlsplit(address).hostname or "")
    else:
        allowed = False
    if allowed:
        return None
    return (
        f"simulacro retenido: un ejercicio con datos sintéticos solo se entrega a direcciones de "
        f"{EXERCISE_DOMAIN}, y esta ({channel}) no lo es / exercise held: synthetic-data alerts "
        f"are only delivered to {EXERCISE_DOMAIN} addresses, and this {channel} address is not one"
    )
