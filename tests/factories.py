"""Factories for every model, in one place."""

import io
from decimal import Decimal

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.models import CustomUser
from books.models import Book, Review


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomUser
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"member{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password("correct-horse-battery")


class BookFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Book

    title = factory.Faker("sentence", nb_words=3)
    author = factory.Faker("name")
    price = factory.LazyFunction(lambda: Decimal("12.50"))
    creator = factory.SubFactory(UserFactory)


class ReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Review

    book = factory.SubFactory(BookFactory)
    author = factory.SubFactory(UserFactory)
    review = factory.Faker("paragraph")
    rating = 4


def image_bytes(fmt="JPEG", size=(120, 180), color=(200, 30, 30), mode="RGB", **save_args):
    """A real image of the given format, made in memory."""
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, format=fmt, **save_args)
    return buffer.getvalue()


def cover_upload(name="cover.jpg", fmt="JPEG", content_type="image/jpeg", **kwargs):
    """An uploaded file as the browser would send it."""
    return SimpleUploadedFile(name, image_bytes(fmt, **kwargs), content_type=content_type)
