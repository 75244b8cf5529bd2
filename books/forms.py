from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from covers import ProcessedCover, process_cover
from covers.validation import EMPTY

from .models import Book, Review

COVER_ACCEPT = "image/jpeg,image/png,image/webp"


def too_long(what: str) -> dict[str, str]:
    """Django's max_length message, in words that name the field."""
    return {"max_length": f"{what} may be at most %(limit_value)s characters long; this one has %(show_value)s."}


class BookForm(forms.ModelForm):
    """A book and, optionally, a new cover.

    The cover is not a model field here: the uploaded file is validated and re-encoded by
    `covers.process_cover`; `new_cover` and `clears_cover` are what `books.services.book_save`
    takes.
    """

    cover = forms.FileField(
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": COVER_ACCEPT}),
        # Django refuses an empty file before clean_cover runs: same words as the pipeline.
        error_messages={"empty": EMPTY},
    )

    class Meta:
        model = Book
        fields = ["title", "author", "price", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}
        error_messages = {
            "title": too_long("A title"),
            "author": too_long("An author's name"),
            "description": too_long("A description"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The current cover is the field's initial value, so the widget offers "Clear".
        self.fields["cover"].initial = self.instance.cover or None
        self.fields["cover"].help_text = cover_help_text()
        self.fields["price"].widget.attrs.setdefault("min", "0")

    def clean_cover(self) -> ProcessedCover | bool | None:
        value = self.cleaned_data.get("cover")
        if value is False:
            return False
        if value is None or not hasattr(value, "content_type"):
            return None  # no new file: keep the current cover
        return process_cover(value)

    @property
    def new_cover(self) -> ProcessedCover | None:
        value = self.cleaned_data.get("cover")
        return value if isinstance(value, ProcessedCover) else None

    @property
    def clears_cover(self) -> bool:
        return self.cleaned_data.get("cover") is False


def cover_help_text() -> str:
    megabytes = settings.COVER_MAX_UPLOAD_BYTES / (1024 * 1024)
    megapixels = settings.COVER_MAX_PIXELS / 1_000_000
    return f"Optional. A JPEG, PNG or WebP image, up to {megabytes:g} MB and {megapixels:g} megapixels."


class ReviewForm(forms.ModelForm):
    rating = forms.TypedChoiceField(
        choices=[("", "No rating")] + [(n, f"{n} star{'s' if n > 1 else ''}") for n in range(1, 6)],
        coerce=int,
        empty_value=None,
        required=False,
    )

    class Meta:
        model = Review
        fields = ["review", "rating"]
        widgets = {"review": forms.Textarea(attrs={"rows": 3, "placeholder": "What did you think?"})}
        labels = {"review": "Your review"}
        error_messages = {"review": too_long("A review")}
