"""django-csp's middleware, building each policy header once per process instead of on every
response (its two builds a response were a fifth of a bare view's time under cProfile).

Only the common case is remembered: no nonce asked for and no per-view decorator
(`@csp_update` and friends set `_csp_*` attributes on the response), debug off; anything
else goes through django-csp unchanged. The headers are built again when the settings
objects change (override_settings in tests).
"""

from __future__ import annotations

from typing import Any

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase

_PER_RESPONSE = ("_csp_config", "_csp_update", "_csp_replace", "_csp_config_ro", "_csp_update_ro", "_csp_replace_ro")


class CachedPolicyCSPMiddleware(CSPMiddleware):
    _memo: tuple[Any, Any, str, str] | None = None

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if (
            settings.DEBUG
            or getattr(request, "_csp_nonce", None) is not None
            or any(hasattr(response, name) for name in _PER_RESPONSE)
        ):
            return super().process_response(request, response)
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", None)
        report_only = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
        memo = self._memo
        if memo is None or memo[0] is not policy or memo[1] is not report_only:
            memo = self._memo = (policy, report_only, build_policy(), build_policy(report_only=True))
        for header, value, exempt, config in (
            (HEADER, memo[2], "_csp_exempt", policy),
            (HEADER_REPORT_ONLY, memo[3], "_csp_exempt_ro", report_only),
        ):
            prefixes = (config or {}).get("EXCLUDE_URL_PREFIXES", None) or ()
            if (
                value
                and header not in response
                and getattr(response, exempt, False) is False
                and not request.path_info.startswith(tuple(prefixes))
            ):
                response[header] = value
        # As django-csp does: asking for a nonce once the header is written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response
