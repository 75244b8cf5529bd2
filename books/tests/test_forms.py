import pytest
from django.apps import apps
from django.db import models

from books.forms import BookForm, ReviewForm
from covers import ProcessedCover
from tests.factories import BookFactory, cover_upload

pytestmark = pytest.mark.django_db

VALID = {"title": "Beloved", "author": "Toni Morrison", "price": "14.00"}


def test_book_form_needs_only_title_author_and_price():
    form = BookForm(data=VALID)
    assert form.is_valid(), form.errors
    assert form.new_cover is None and not form.clears_cover


def test_book_form_has_no_creator_field():
    assert "creator" not in BookForm().fields


def test_book_form_turns_an_upload_into_a_processed_cover():
    form = BookForm(data=VALID, files={"cover": cover_upload()})
    assert form.is_valid(), form.errors
    assert isinstance(form.new_cover, ProcessedCover)
    assert form.new_cover.image.content_type == "image/jpeg"


def test_book_form_offers_to_clear_an_existing_cover():
    book = BookFactory(cover="covers/abc.jpg")
    form = BookForm(data={**VALID, "cover-clear": "on"}, instance=book)
    assert form.is_valid(), form.errors
    assert form.clears_cover
    assert 'name="cover-clear"' in str(form["cover"])


def test_choosing_a_file_and_clear_together_is_an_error():
    book = BookFactory(cover="covers/abc.jpg")
    form = BookForm(data={**VALID, "cover-clear": "on"}, files={"cover": cover_upload()}, instance=book)
    assert not form.is_valid()
    assert "cover" in form.errors


@pytest.mark.parametrize(("price", "valid"), [("0", True), ("0.00", True), ("-0.01", False), ("1.005", False)])
def test_price_is_non_negative_with_two_decimals(price, valid):
    assert BookForm(data={**VALID, "price": price}).is_valid() is valid


def test_review_form_rating_is_optional_and_bounded():
    assert ReviewForm(data={"review": "Good"}).is_valid()
    rated = ReviewForm(data={"review": "Good", "rating": "5"})
    assert rated.is_valid()
    assert rated.cleaned_data["rating"] == 5
    assert not ReviewForm(data={"review": "Good", "rating": "9"}).is_valid()
    assert not ReviewForm(data={"review": "  "}).is_valid()


def test_every_text_field_a_member_can_fill_has_a_maximum_length():
    unbounded = [
        f"{model.__name__}.{field.name}"
        for label in ("accounts", "books")
        for model in apps.get_app_config(label).get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, models.CharField | models.TextField) and field.editable and not field.max_length
    ]
    assert unbounded == []
