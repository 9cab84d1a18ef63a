"""Encryption at rest for channel credentials and tokens.

The key is derived from KERYX_SECRET_KEY with HKDF so that the stored ciphertext is useless
without the deployment's secret. Fernet gives authenticated encryption (AES-128-CBC + HMAC).
"""

from __future__ import annotations

import base64
import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models


@lru_cache(maxsize=4)
def _fernet(secret: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"keryx-credentials", info=b"fernet-v1"
    ).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt_text(plain: str) -> str:
    return _fernet(settings.SECRET_KEY).encrypt(plain.encode()).decode()


def decrypt_text(token: str) -> str:
    try:
        return _fernet(settings.SECRET_KEY).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError(
            "Stored credentials cannot be decrypted: was KERYX_SECRET_KEY changed?"
        ) from exc


class EncryptedJSONField(models.TextField):
    """A dict stored as Fernet ciphertext. Never put it in a form, a log line or an API schema."""

    description = "JSON encrypted at rest"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return {}
        return json.loads(decrypt_text(value))

    def to_python(self, value: Any) -> Any:
        if isinstance(value, dict):
            return value
        if not value:
            return {}
        return json.loads(decrypt_text(value))

    def get_prep_value(self, value: Any) -> str:
        return encrypt_text(json.dumps(value or {}, separators=(",", ":")))
