"""Deploy checks (`manage.py check --deploy`) for mail and accounts in production."""

from typing import Any

from django.conf import settings
from django.core import checks

# Backends that never deliver: the console one prints every reset and confirmation key.
_UNDELIVERED_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
}


@checks.register(checks.Tags.security, deploy=True)
def check_mail_and_accounts(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    if settings.DEBUG:
        return []
    problems: list[checks.CheckMessage] = []
    if settings.EMAIL_BACKEND in _UNDELIVERED_BACKENDS:
        problems.append(
            checks.Error(
                f"EMAIL_BACKEND is {settings.EMAIL_BACKEND}: password-reset and confirmation keys would be "
                "printed or lost instead of mailed.",
                hint="Set EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.com:587.",
                id="bookstore.E001",
            )
        )
    if not settings.BOOKSTORE_SITE_DOMAIN:
        problems.append(
            checks.Warning(
                "BOOKSTORE_SITE_DOMAIN is not set: links in mail would use the Host header of the request.",
                hint="Set BOOKSTORE_SITE_DOMAIN to the site's public host name, e.g. books.example.com.",
                id="bookstore.W001",
            )
        )
    if settings.ACCOUNT_EMAIL_VERIFICATION != "mandatory":
        problems.append(
            checks.Warning(
                "ACCOUNT_EMAIL_VERIFICATION is not 'mandatory': sign-up tells whether an address is registered.",
                hint="Set ACCOUNT_EMAIL_VERIFICATION=mandatory.",
                id="bookstore.W002",
            )
        )
    return problems
