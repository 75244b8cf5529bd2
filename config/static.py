"""A clear error, at start-up, for the classic deployment mistake: no collectstatic."""

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import storages


def require_static_manifest() -> None:
    """Refuse to serve when hashed static files are configured but were never collected.

    Without this, every page fails later with "Missing staticfiles manifest entry for
    'css/site.css'", which does not say what to do.
    """
    storage = storages["staticfiles"]
    if not isinstance(storage, ManifestFilesMixin):
        return
    manifest = storage.path(storage.manifest_name)
    if not storage.exists(storage.manifest_name):
        raise ImproperlyConfigured(
            f"The static files manifest {manifest} is missing, so no page could be rendered. "
            "Run `python manage.py collectstatic --noinput` (make serve does) in the build or "
            f"before starting the app server, with the same STATIC_ROOT ({settings.STATIC_ROOT})."
        )
