"""HubSpot's v3 request signature (developers.hubspot.com, "Validating requests"):
base64 of HMAC-SHA256, keyed with the app's client secret, over method + URI + raw body +
the `X-HubSpot-Request-Timestamp` header; a timestamp older than five minutes is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse

MAX_AGE_MS = 5 * 60 * 1000


def sign(secret: str, *, method: str, uri: str, body: str, timestamp: str) -> str:
    message = f"{method}{uri}{body}{timestamp}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def refusal(
    secret: str,
    *,
    method: str,
    uri: str,
    body: str,
    timestamp: str | None,
    signature: str | None,
    now_ms: int,
) -> str | None:
    """Why a request is not HubSpot's, or None when it is."""
    if not signature or not timestamp:
        return "X-HubSpot-Signature-v3 and X-HubSpot-Request-Timestamp are required"
    try:
        sent_ms = int(timestamp)
    except ValueError:
        return "X-HubSpot-Request-Timestamp is not a time in milliseconds"
    if now_ms - sent_ms > MAX_AGE_MS:
        return "the request is older than 5 minutes"
    # HubSpot signs the URI with some characters decoded (its docs list %3A, %2F, %3F, %40,
    # %21, %24, %27, %28, %29, %2A, %2C, %3B); the URI as called is tried too.
    for candidate in dict.fromkeys((uri, urllib.parse.unquote(uri))):
        expected = sign(secret, method=method, uri=candidate, body=body, timestamp=timestamp)
        if hmac.compare_digest(expected.encode(), signature.encode()):
            return None
    return "the signature does not match (check HUBSPOT_CLIENT_SECRET and SMARKETING_PUBLIC_URL)"
