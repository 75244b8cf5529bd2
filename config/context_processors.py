from typing import Any

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, Any]:
    """The site's name for every template (BOOKSTORE_SITE_NAME)."""
    return {"site_name": settings.BOOKSTORE_SITE_NAME}
