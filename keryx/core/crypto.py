"""Encryption at rest for channel credentials, tokens and TOTP secrets.

The key is derived from KERYX_SECRET_KEY with HKDF so that the stored ciphertext is useless
without the deployment's secret. Fernet gives authenticated encryption (AES-128-CBC + HMAC).
Rotation: the keys in KERYX_OLD_SECRET_KEYS still decrypt (MultiFernet); only the current key
encrypts. `keryx secrets rotate` (rotate_all below) re-encrypts every stored value under it.
"""

from __future__ import annotations

import base64
import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
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


def _keys() -> MultiFernet:
    old = getattr(settings, "OLD_SECRET_KEYS", [])
    return MultiFernet([_fernet(settings.SECRET_KEY), *(_fernet(k) for k in old)])


def encrypt_text(plain: str) -> str:
    return _fernet(settings.SECRET_KEY).encrypt(plain.encode()).decode()


def decrypt_text(token: str) -> str:
    try:
        return _keys().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError(
            "Stored credentials cannot be decrypted: was KERYX_SECRET_KEY changed "
            "without KERYX_OLD_SECRET_KEYS?"
        ) from exc


def is_current(token: str) -> bool:
    """Encrypted under the current key (no rotation needed)."""
    try:
        _fernet(settings.SECRET_KEY).decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def reencrypt(token: str) -> str:
    """The same plaintext under the current key (ValueError if no known key opens it)."""
    try:
        return _keys().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("no configured key decrypts this value") from exc


def encrypted_fields() -> list[tuple[type[models.Model], str]]:
    """Every (model, column) stored with EncryptedJSONField, found from the app registry so a
    new encrypted field is rotated without touching the rotation."""
    from django.apps import apps

    return [
        (model, field.column)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedJSONField)
    ]


def rotate_all(batch: int = 200) -> dict[str, dict[str, int]]:
    """Re-encrypt every stored value under the current key, row by row (each row its own
    update, guarded by its old ciphertext so a concurrent write is never overwritten).
    Idempotent and resumable: rows already under the current key are counted and skipped.
    Returns counts per `app.Model.column`: rotated, current, failed (no key opens it)."""
    report: dict[str, dict[str, int]] = {}
    for model, column in encrypted_fields():
        counts = {"rotated": 0, "current": 0, "failed": 0}
        rows = model._default_manager.using("default")
        last_pk = None
        while True:
            page = rows.order_by("pk")
            if last_pk is not None:
                page = page.filter(pk__gt=last_pk)
            # Raw column values: the field's from_db_value would decrypt them.
            values = list(page.values_list("pk", column_raw(model, column))[:batch])
            if not values:
                break
            for pk, raw in values:
                last_pk = pk
                if not raw:
                    counts["current"] += 1
                    continue
                if is_current(raw):
                    counts["current"] += 1
                    continue
                try:
                    fresh = reencrypt(raw)
                except ValueError:
                    counts["failed"] += 1
                    continue
                updated = _raw_update(model, column, pk, raw, fresh)
                counts["rotated" if updated else "current"] += updated or 1
        report[f"{model._meta.label}.{column}"] = counts
    return report


def column_raw(model: type[models.Model], column: str) -> Any:
    from django.db.models.functions import Cast

    return Cast(column, models.TextField())


def _raw_update(model: type[models.Model], column: str, pk: Any, old: str, new: str) -> int:
    from django.db import connection

    table = connection.ops.quote_name(model._meta.db_table)
    col = connection.ops.quote_name(column)
    pk_col = connection.ops.quote_name(model._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {col} = %s WHERE {pk_col} = %s AND {col} = %s",  # noqa: S608
            [new, pk, old],
        )
        return cursor.rowcount


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
