"""WSGI entry point, used by gunicorn in production."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

# Fail at start-up, with the fix in the message, rather than on every page.
from config.static import require_static_manifest  # noqa: E402

require_static_manifest()
