"""Pseudonyms: keyed HMACs that let us group reports by reporter without knowing who reported."""

from __future__ import annotations

import hashlib
import hmac


def pseudonymize(secret_key: str, identity: str, *, purpose: str = "reporter") -> str:
    """A stable, non-reversible pseudonym for ``identity`` (a key id, a phone number, a Kobo user).

    ``purpose`` separates domains, so a phone's pseudonym never equals a key's.
    """
    # surrogatepass: an identity from JSON may hold a lone surrogate; it still has one pseudonym.
    message = f"{purpose}:{identity}".encode("utf-8", "surrogatepass")
    return hmac.new(secret_key.encode("utf-8"), message, hashlib.sha256).hexdigest()
