"""Identity-verification plug-ins (D2, R-6.1-1): SMS senders for L1 and name + ID verifiers for L2, chosen by settings.

Every plug-in also has `async aclose()`; the composition root calls it at shutdown.
"""

from __future__ import annotations

from qunzu.config import IdentitySettings
from qunzu.services.verifiers.idcheck import FormatOnly, HttpIdVerifier, IdCheckResult, IdVerifier, Manual
from qunzu.services.verifiers.sms import ConsoleSms, HttpSms, SentSms, SmsSender

__all__ = [
    "ConsoleSms",
    "FormatOnly",
    "HttpIdVerifier",
    "HttpSms",
    "IdCheckResult",
    "IdVerifier",
    "Manual",
    "SentSms",
    "SmsSender",
    "make_id_verifier",
    "make_sms_sender",
]


def make_sms_sender(settings: IdentitySettings) -> SmsSender:
    """The SMS sender named by identity.sms_sender (console in development, http in production)."""
    if settings.sms_sender == "http":
        return HttpSms(settings.sms_http)
    if settings.sms_sender == "console":
        return ConsoleSms()
    raise ValueError(f"unknown identity.sms_sender {settings.sms_sender!r}")


def make_id_verifier(settings: IdentitySettings) -> IdVerifier:
    """The name + ID verifier named by identity.id_verifier (format-only in development; http or manual otherwise)."""
    if settings.id_verifier == "http":
        return HttpIdVerifier(settings.verifier_http)
    if settings.id_verifier == "manual":
        return Manual()
    if settings.id_verifier == "format-only":
        return FormatOnly()
    raise ValueError(f"unknown identity.id_verifier {settings.id_verifier!r}")
