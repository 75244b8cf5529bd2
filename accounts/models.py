from typing import Any

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models

from accounts.usernames import skeleton


class CustomUser(AbstractUser):
    """The site's member. Its own model from the first migration, so fields can be added later."""

    # Unique, so that two names a reader cannot tell apart ("alice", "аlice" in Cyrillic)
    # can never both exist, even when two sign-ups race.
    # NULL only for a look-alike that predates this rule (migration 0002), never for a new one.
    username_skeleton = models.TextField(unique=True, null=True, editable=False)  # noqa: DJ001

    def __str__(self) -> str:
        return self.username

    def clean(self) -> None:
        super().clean()  # NFKC-normalises the username
        self.username_skeleton = skeleton(self.username)
        look_alikes = CustomUser.objects.filter(username_skeleton=self.username_skeleton).exclude(pk=self.pk)
        if look_alikes.exists():
            raise ValidationError({"username": "That username looks too much like another member's."})

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.username = self.normalize_username(self.username)
        self.username_skeleton = skeleton(self.username)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "username" in update_fields:
            kwargs["update_fields"] = {*update_fields, "username_skeleton"}
        super().save(*args, **kwargs)
