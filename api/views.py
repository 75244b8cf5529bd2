"""The member's page of personal access tokens: create (the secret shown once), list, revoke."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import CustomUser

from .forms import AccessTokenForm
from .models import AccessToken

MAX_TOKENS = 20


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    """List the member's tokens; a POST creates one and shows its secret on this answer only."""
    member = cast(CustomUser, request.user)  # login_required
    tokens = AccessToken.objects.active().filter(member=member)
    form = AccessTokenForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        if tokens.count() >= MAX_TOKENS:
            form.add_error(
                None,
                ngettext(
                    "You have %(count)d token: revoke one first.",
                    "You have %(count)d tokens: revoke one first.",
                    MAX_TOKENS,
                )
                % {"count": MAX_TOKENS},
            )
        else:
            token, secret = AccessToken.issue(
                member=member, name=form.cleaned_data["name"], read_only=form.cleaned_data["read_only"]
            )
            form = AccessTokenForm()
    return render(request, "api/token_list.html", {"tokens": tokens, "form": form, "secret": secret})


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(AccessToken.objects.active(), pk=pk, member=request.user)
    token.revoke()
    messages.success(request, gettext("The token “%(name)s” was revoked.") % {"name": token.name})
    return redirect("api_tokens")
