from __future__ import annotations

import logging
import smtplib
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter

logger = logging.getLogger(__name__)


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """Send allauth's mail, but never fail a sign-up or reset because mail is down.

        Django's SMTP backend raises when the server does not answer; the member's account
        is already saved by then, so the right outcome is a logged error, not a 500.
        """
        try:
            super().send_mail(template_prefix, email, context)
        except (smtplib.SMTPException, OSError):
            logger.exception("Could not send %s mail; the mail server did not accept it", template_prefix)
