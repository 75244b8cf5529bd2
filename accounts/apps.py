from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts import checks  # noqa: F401 (registers the deploy checks)

        post_migrate.connect(sync_site, sender=self)


def sync_site(**kwargs: Any) -> None:
    """Keep the Site row (allauth's `current_site`) on BOOKSTORE_SITE_NAME and BOOKSTORE_SITE_DOMAIN."""
    from django.conf import settings
    from django.contrib.sites.models import Site

    defaults = {"name": settings.BOOKSTORE_SITE_NAME}
    if settings.BOOKSTORE_SITE_DOMAIN:
        defaults["domain"] = settings.BOOKSTORE_SITE_DOMAIN
    Site.objects.update_or_create(pk=settings.SITE_ID, defaults=defaults)
