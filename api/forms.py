from django import forms
from django.utils.translation import gettext_lazy as _

from .models import AccessToken


class AccessTokenForm(forms.ModelForm):
    class Meta:
        model = AccessToken
        fields = ["name", "read_only"]
        labels = {"name": _("Token name"), "read_only": _("Read-only")}
        help_texts = {
            "name": _("What uses it, e.g. “reading app on my phone”."),
            "read_only": _("A read-only token may only read."),
        }
