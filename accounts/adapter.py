from __future__ import annotations

import ipaddress
import logging
import re
import smtplib
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.contrib.sites.models import Site
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest

from accounts import usernames

logger = logging.getLogger(__name__)


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "username_look_alike": "That username looks too much like another member's. Please choose another.",
        "username_mixed_scripts": "Please write your username in one alphabet: it mixes letters that look alike.",
    }

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """Send allauth's mail, but never fail a sign-up or reset because mail is down.

        Django's SMTP backend raises when the server does not answer; the member's account
        is already saved by then, so the right outcome is a logged error, not a 500.
        """
        context = {**self._links_on_site_domain(context), "current_site": self._site()}
        try:
            super().send_mail(template_prefix, email, context)
        except (smtplib.SMTPException, OSError):
            logger.exception("Could not send %s mail; the mail server did not accept it", template_prefix)

    def _site(self) -> Site:
        """The name and domain mail speaks of, from settings, never "example.com"."""
        domain = settings.BOOKSTORE_SITE_DOMAIN or (self.request.get_host() if self.request else "localhost")
        return Site(id=settings.SITE_ID, name=settings.BOOKSTORE_SITE_NAME, domain=domain)

    def _links_on_site_domain(self, context: dict[str, Any]) -> dict[str, Any]:
        """Links in mail point at BOOKSTORE_SITE_DOMAIN, never at the Host header a client sent."""
        request = self.request
        if not settings.BOOKSTORE_SITE_DOMAIN or request is None:
            return context
        on_request_host = re.compile(rf"^https?://{re.escape(request.get_host())}(?=/)")
        site = f"{settings.ACCOUNT_DEFAULT_HTTP_PROTOCOL}://{settings.BOOKSTORE_SITE_DOMAIN}"
        return {
            name: on_request_host.sub(site, value, count=1) if isinstance(value, str) else value
            for name, value in context.items()
        }

    def clean_username(self, username: str, shallow: bool = False) -> str:
        """NFKC-normalised, in one script, and unlike every other member's name."""
        from accounts.models import CustomUser

        username = super().clean_username(usernames.normalize(username), shallow=shallow)
        if usernames.mixes_scripts(username):
            raise ValidationError(self.error_messages["username_mixed_scripts"], code="username_mixed_scripts")
        if not shallow and CustomUser.objects.filter(username_skeleton=usernames.skeleton(username)).exists():
            raise ValidationError(self.error_messages["username_look_alike"], code="username_look_alike")
        return username

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        """Failed log-ins count per (account, client address): a stranger's failures
        elsewhere cannot lock a member out (allauth's default counts per account only)."""
        return f"{super()._get_login_attempts_cache_key(request, **credentials)}:{self.get_client_ip(request)}"

    def get_client_ip(self, request: HttpRequest) -> str:
        """X-Forwarded-For counts only when the request came from a trusted proxy.

        Reached directly, any client could name itself in that header and so escape
        every per-address limit.
        """
        remote = request.META.get("REMOTE_ADDR", "")
        if _is_trusted_proxy(remote):
            return super().get_client_ip(request)
        try:
            return str(ipaddress.ip_address(remote))
        except ValueError:
            raise PermissionDenied("Unable to determine client IP address") from None


def _is_trusted_proxy(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(network, strict=False) for network in settings.BOOKSTORE_TRUSTED_PROXIES)
