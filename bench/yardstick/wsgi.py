"""WSGI entry of the yardstick: `gunicorn bench.yardstick.wsgi:application`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.yardstick.settings"

application = get_wsgi_application()
