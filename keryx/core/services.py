"""Workspace and membership actions."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import translation
from django.utils.text import slugify
from django.utils.translation import gettext

from keryx.core.models import Membership, Role, UserProfile, Workspace


def unique_slug(name: str) -> str:
    base = slugify(name, allow_unicode=False) or "workspace"
    slug = base
    while Workspace.objects.filter(slug=slug).exists():
        slug = f"{base}-{secrets.token_hex(2)}"
    return slug


@transaction.atomic
def create_workspace(owner: object, name: str, timezone: str = "UTC") -> Workspace:
    workspace = Workspace(name=name, slug=unique_slug(name), timezone=timezone)
    workspace.full_clean()
    workspace.save()
    Membership.objects.create(workspace=workspace, user=owner, role=Role.OWNER)
    return workspace


def first_workspace_name(language: str) -> str:
    """"My workspace" in the language of the person it is made for."""
    with translation.override(language):
        return gettext("My workspace")


def ensure_first_admin(
    email: str, password: str | None, language: str | None = None
) -> tuple[object, str | None]:
    """Create the first admin and workspace if there is no user yet.

    Returns (user, password_to_print); the password is None when nothing was created.
    """
    user_model = get_user_model()
    existing = user_model.objects.filter(is_superuser=True).order_by("pk").first()
    if existing is not None:
        return existing, None
    password = password or secrets.token_urlsafe(12)
    with transaction.atomic():
        user = user_model.objects.create_superuser(
            username=email, email=email, password=password
        )
        language = language or translation.get_language() or settings.LANGUAGE_CODE
        if language in dict(settings.LANGUAGES):
            # The admin's UI language from the start, and the workspace named in it.
            UserProfile.objects.update_or_create(user=user, defaults={"language": language})
        else:
            language = settings.LANGUAGE_CODE
        create_workspace(user, first_workspace_name(language))
    return user, password


def update_workspace(
    workspace: Workspace, *, name: str, timezone: str, actor: object = None
) -> Workspace:
    """Rename a workspace or change its time zone (scheduled times stay fixed in UTC)."""
    before = {"name": workspace.name, "timezone": workspace.timezone}
    workspace.name = name
    workspace.timezone = timezone
    workspace.full_clean(exclude=["slug"])
    workspace.save(update_fields=["name", "timezone"])
    after = {"name": name, "timezone": timezone}
    if before != after:
        from keryx.core import audit

        changed = ", ".join(k for k in after if before[k] != after[k])
        audit.record(workspace, "settings.changed", actor=actor, obj=workspace,
                     summary=f"workspace: {changed}", before=before, after=after)
    return workspace
