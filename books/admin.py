from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.html import format_html

from covers.files import CoverStorageError

from .forms import BookForm
from .models import Book, Review
from .services import book_delete, book_save, books_delete


class BookAdminForm(BookForm):
    """The site's book form, cover included, plus the creator an admin may choose."""

    class Meta(BookForm.Meta):
        fields = [*BookForm.Meta.fields, "creator"]


class ReviewInline(admin.StackedInline):
    model = Review
    extra = 0
    fields = ["review", "rating", "author", "created_at"]
    readonly_fields = ["created_at"]
    raw_id_fields = ["author"]


@admin.register(Book)
class BookAdmin(admin.ModelAdmin):
    list_display = [
        "cover_preview",
        "title",
        "author",
        "price",
        "creator",
        "review_count",
        "rating_average",
        "created_at",
    ]
    list_display_links = ["cover_preview", "title"]
    list_filter = ["creator"]
    search_fields = ["title", "author", "isbn"]
    list_select_related = ["creator"]
    raw_id_fields = ["creator"]
    readonly_fields = ["cover_preview", "review_count", "rating_count", "rating_average", "created_at", "updated_at"]
    # The cover goes through the upload pipeline and books.services.book_save, as on the site.
    form = BookAdminForm
    # The form's own cover field stays; excluded here so the model field is never set from it.
    exclude = ["cover"]
    inlines = [ReviewInline]

    def save_model(self, request: HttpRequest, obj: Book, form: BookAdminForm, change: bool) -> None:
        book_save(
            book=obj, cover=form.new_cover, remove_cover=form.clears_cover, subjects=form.cleaned_data["subjects"]
        )

    def save_related(self, request: HttpRequest, form: BookAdminForm, formsets: Any, change: bool) -> None:
        # Subjects were saved by book_save from their names; only the reviews' inline is left.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request: HttpRequest, obj: Book) -> None:
        book_delete(book=obj)  # locks the row and removes the files it holds now

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        books_delete(books=queryset)

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return super().changeform_view(request, *args, **kwargs)
        except CoverStorageError as exc:
            # Raised after validation, where the admin has no form-error path; nothing was written.
            messages.error(request, str(exc))
            return HttpResponseRedirect(request.get_full_path())

    @admin.display(description="Cover")
    def cover_preview(self, book: Book) -> Any:
        image = book.cover_thumbnail or book.cover
        if not image:
            return "—"
        # The list links the picture to the book, so its text is the link's name.
        return format_html('<img src="{}" alt="Cover of {}" height="48">', image.url, book.title)


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["book", "author", "rating", "created_at"]
    list_select_related = ["book", "author"]
    search_fields = ["review", "book__title"]
    raw_id_fields = ["book", "author"]

    def get_readonly_fields(self, request: HttpRequest, obj: Review | None = None) -> list[str]:
        # Moving a review to another book would leave the first book's statistics behind.
        return ["book"] if obj is not None else []
