from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from covers import ProcessedCover, incoming, process_cover
from covers.files import CoverStorageError
from covers.validation import EMPTY

from . import openlibrary
from .isbn import normalize_isbn
from .languages import language_choices
from .models import Book, Review

MAX_SUBJECTS = 20

COVER_ACCEPT = "image/jpeg,image/png,image/webp"


def too_long(what: Any) -> dict[str, Any]:
    """Django's max_length message, in words that name the field."""
    return {
        "max_length": format_lazy(
            _("{what} may be at most %(limit_value)s characters long; this one has %(show_value)s."), what=what
        )
    }


class BookForm(forms.ModelForm):
    """A book and, optionally, a new cover.

    The cover is not a model field here: the uploaded file is validated and re-encoded by
    `covers.process_cover`; `new_cover` and `clears_cover` are what `books.services.book_save`
    takes.
    """

    # The handle of a cover the browser posted straight to the bucket (static/js/direct-upload.js),
    # sent instead of the file; checked and finalized by covers.incoming, as the API does.
    cover_upload = forms.CharField(required=False, widget=forms.HiddenInput)
    cover = forms.FileField(
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": COVER_ACCEPT}),
        # Django refuses an empty file before clean_cover runs: same words as the pipeline.
        error_messages={"empty": EMPTY},
    )

    # Longer than the stored ISBN-13: hyphens and spaces are welcome here.
    isbn = forms.CharField(label=_("ISBN"), required=False, max_length=20)
    language = forms.ChoiceField(label=_("Language"), required=False, choices=lambda: [("", "—"), *language_choices()])
    subjects = forms.CharField(
        required=False,
        max_length=1000,
        label=_("Subjects"),
        help_text=_("Optional. Separate subjects with commas, e.g. “Science fiction, Anthropology”."),
    )

    openlibrary_cover = forms.BooleanField(
        required=False,
        label=_("Use Open Library's cover for this ISBN"),
        help_text=_("Fetched when you save, unless you choose a file above."),
    )

    class Meta:
        model = Book
        fields = [
            "title",
            "author",
            "price",
            "description",
            "isbn",
            "publisher",
            "publication_year",
            "pages",
            "language",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}
        labels = {
            "title": _("Title"),
            "author": _("Author"),
            "price": _("Price"),
            "description": _("Description"),
            "publisher": _("Publisher"),
            "publication_year": _("Publication year"),
            "pages": _("Number of pages"),
        }
        error_messages = {
            "title": too_long(_("A title")),
            "author": too_long(_("An author's name")),
            "description": too_long(_("A description")),
        }

    def __init__(self, *args: Any, uploader: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.uploader = uploader  # the member whose direct uploads this form may finalize
        self.fields["isbn"].help_text = _("Optional. ISBN-10 or ISBN-13, with or without hyphens.")
        if self.instance.pk and "subjects" not in self.initial:
            self.initial["subjects"] = ", ".join(subject.name for subject in self.instance.subjects.all())
        # The current cover is the field's initial value, so the widget offers "Clear".
        self.fields["cover"].initial = self.instance.cover or None
        self.fields["cover"].help_text = cover_help_text()
        self.fields["price"].widget.attrs.setdefault("min", "0")

    def clean_isbn(self) -> str:
        isbn = normalize_isbn(self.cleaned_data.get("isbn", ""))
        if isbn:
            existing = Book.objects.filter(isbn=isbn).exclude(pk=self.instance.pk).only("title", "author").first()
            if existing is not None:
                raise forms.ValidationError(
                    _("This ISBN is already in the catalogue: “%(title)s” by %(author)s."),
                    code="isbn_taken",
                    params={"title": existing.title, "author": existing.author},
                )
        return isbn

    def clean_subjects(self) -> list[str]:
        names = [" ".join(name.split()) for name in self.cleaned_data.get("subjects", "").split(",")]
        names = [name for name in names if name]
        if len(names) > MAX_SUBJECTS:
            raise forms.ValidationError(
                ngettext("At most %(count)d subject, please.", "At most %(count)d subjects, please.", MAX_SUBJECTS)
                % {"count": MAX_SUBJECTS}
            )
        if any(len(name) > 100 for name in names):
            raise forms.ValidationError(gettext("A subject is at most 100 characters long."))
        return names

    def clean_cover(self) -> ProcessedCover | bool | None:
        value = self.cleaned_data.get("cover")
        if value is False:
            return False
        if value is None or not hasattr(value, "content_type"):
            handle = self.cleaned_data.get("cover_upload")
            return self._finalize_direct_upload(handle) if handle else None  # None: keep the current cover
        return process_cover(value)

    def _finalize_direct_upload(self, handle: str) -> ProcessedCover:
        """What the browser posted to the bucket, through the pipeline; the incoming object
        is deleted once read, whatever the outcome (the API's finalize does the same)."""
        storage = Book._meta.get_field("cover").storage
        if self.uploader is None or not incoming.available(storage):
            raise forms.ValidationError(incoming.BAD_HANDLE)
        try:
            with incoming.claimed(storage, handle, self.uploader.pk, self.instance.pk) as upload:
                return process_cover(upload)
        except incoming.HandleRefused as exc:
            raise forms.ValidationError(exc.message) from exc
        except incoming.UploadMissing as exc:
            raise forms.ValidationError(incoming.MISSING) from exc
        except CoverStorageError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        wants_cover = cleaned.get("openlibrary_cover") and not cleaned.get("cover")
        if wants_cover and not self.errors:
            if not cleaned.get("isbn"):
                self.add_error("openlibrary_cover", gettext("Enter the book's ISBN to use Open Library's cover."))
            else:
                try:
                    cleaned["cover"] = openlibrary.fetch_cover(cleaned["isbn"])
                except (openlibrary.OpenLibraryError, forms.ValidationError) as exc:
                    message = exc.messages[0] if isinstance(exc, forms.ValidationError) else str(exc)
                    self.add_error(
                        "openlibrary_cover", gettext("The cover could not be used: %(reason)s") % {"reason": message}
                    )
        return cleaned

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
    return gettext("Optional. A JPEG, PNG or WebP image, up to %(megabytes)s MB and %(megapixels)s megapixels.") % {
        "megabytes": f"{megabytes:g}",
        "megapixels": f"{megapixels:g}",
    }


def _stars_text(count: int) -> str:
    return ngettext("%(count)d star", "%(count)d stars", count) % {"count": count}


_stars_label = lazy(_stars_text, str)  # translated when shown, in the reader's language


class ReviewForm(forms.ModelForm):
    rating = forms.TypedChoiceField(
        choices=[("", _("No rating"))] + [(n, _stars_label(n)) for n in range(1, 6)],
        coerce=int,
        empty_value=None,
        required=False,
    )

    class Meta:
        model = Review
        fields = ["review", "rating"]
        widgets = {"review": forms.Textarea(attrs={"rows": 3, "placeholder": _("What did you think?")})}
        labels = {"review": _("Your review")}
        error_messages = {"review": too_long(_("A review"))}


def looked_up_form(data: Any, instance: Book | None) -> tuple[BookForm, str, bool]:
    """The book form filled from Open Library by the ISBN in `data` (a lookup request).

    Returns the unbound form, a message and whether the lookup succeeded; on failure the
    form holds exactly what the member had typed.
    """
    names = [name for name in BookForm.base_fields if name not in ("cover", "cover_upload", "openlibrary_cover")]
    values: dict[str, Any] = {name: data.get(name, "") for name in names}
    try:
        isbn = normalize_isbn(values["isbn"])
    except forms.ValidationError as exc:
        return BookForm(initial=values, instance=instance), exc.messages[0], False
    if not isbn:
        return BookForm(initial=values, instance=instance), gettext("Enter an ISBN to look the book up."), False
    try:
        found = openlibrary.lookup(isbn)
    except openlibrary.OpenLibraryError as exc:
        return BookForm(initial=values, instance=instance), str(exc), False
    values.update(found.form_values(), isbn=isbn, openlibrary_cover=False)
    message = gettext("Filled from Open Library: please check the details, add a price and save.")
    if found.has_cover:
        message += " " + gettext("It has a cover: tick “Use Open Library's cover” to add it.")
    return BookForm(initial=values, instance=instance), message, True


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("A Goodreads export (goodreads_library_export.csv) or a Bookstore CSV, UTF-8."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    dry_run = forms.BooleanField(required=False, label=_("Dry run: check and report, write nothing"))

    def clean_file(self) -> tuple[str, str]:
        upload = self.cleaned_data["file"]
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(
                gettext("This file is not UTF-8 text: export it again as CSV (UTF-8).")
            ) from None
        return upload.name[:200], text
