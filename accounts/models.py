from django.contrib.auth.models import AbstractUser


class CustomUser(AbstractUser):
    """The site's member. Its own model from the first migration, so fields can be added later."""

    def __str__(self) -> str:
        return self.username
