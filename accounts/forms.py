from allauth.account.forms import AddEmailForm as AllauthAddEmailForm
from allauth.account.models import EmailAddress
from allauth.account.utils import filter_users_by_email
from django.contrib import messages
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.http import HttpRequest
from django.utils.translation import gettext

from .models import CustomUser


class CustomUserCreationForm(UserCreationForm):
    class Meta(UserCreationForm.Meta):  # type: ignore[name-defined]  # django-stubs declares no Meta
        model = CustomUser
        fields = ("username", "email")


class CustomUserChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):  # type: ignore[name-defined]  # django-stubs declares no Meta
        model = CustomUser
        fields = ("username", "email")


class AddEmailForm(AllauthAddEmailForm):
    """Adding an address another account holds, verified or not, attaches nothing.

    The answer is the same "confirmation sent" message as for a free address, so the
    form does not tell whether the address is registered either.
    """

    def save(self, request: HttpRequest) -> EmailAddress:
        email = self.cleaned_data["email"]
        if any(user.pk != self.user.pk for user in filter_users_by_email(email)):
            messages.info(request, gettext("Confirmation email sent to %(email)s.") % {"email": email})
            return EmailAddress(user=self.user, email=email)  # never saved
        return super().save(request)
