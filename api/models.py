from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

TOKEN_PREFIX = "bk_"  # noqa: S105  # not a secret: marks a string as a Bookstore token


def hash_token(secret: str) -> str:
    """SHA-256 is enough for a 256-bit random secret: there is nothing to guess, so no slow hash."""
    return hashlib.sha256(secret.encode()).hexdigest()


class AccessTokenQuerySet(models.QuerySet["AccessToken"]):
    def active(self) -> AccessTokenQuerySet:
        return self.filter(revoked_at__isnull=True)


class AccessToken(models.Model):
    """A member's personal access token for the API. Only its hash is stored; the secret is shown once."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_tokens")
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The first characters of the secret, so a member can tell tokens apart; not enough to use one.
    hint = models.CharField(max_length=12, editable=False)
    read_only = models.BooleanField(default=False, help_text="A read-only token may only read.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = AccessTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @classmethod
    def issue(cls, *, member: models.Model, name: str, read_only: bool) -> tuple[AccessToken, str]:
        """Create a token; returns it with its secret, which is never stored nor shown again."""
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            member=member, name=name, read_only=read_only, token_hash=hash_token(secret), hint=secret[:10]
        )
        return token, secret

    @classmethod
    def find(cls, secret: str) -> AccessToken | None:
        """The active token with this secret, or None."""
        if not secret.startswith(TOKEN_PREFIX):
            return None
        return cls.objects.active().select_related("member").filter(token_hash=hash_token(secret)).first()

    def revoke(self) -> None:
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])

    def touch(self) -> None:
        """Record a use, at most once a minute per token (a write per request would be a hot row)."""
        now = timezone.now()
        if self.last_used_at is None or (now - self.last_used_at).total_seconds() > 60:
            AccessToken.objects.filter(pk=self.pk).update(last_used_at=now)
            self.last_used_at = now
