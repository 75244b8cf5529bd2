from django import forms

from .models import AccessToken


class AccessTokenForm(forms.ModelForm):
    class Meta:
        model = AccessToken
        fields = ["name", "read_only"]
        labels = {"name": "Token name", "read_only": "Read-only"}
        help_texts = {"name": "What uses it, e.g. “reading app on my phone”."}
