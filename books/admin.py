from django.contrib import admin
from django.utils.html import format_html

from .models import Book, Review


class ReviewInline(admin.TabularInline):
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
    search_fields = ["title", "author"]
    list_select_related = ["creator"]
    raw_id_fields = ["creator"]
    readonly_fields = ["cover_preview", "review_count", "rating_count", "rating_average", "created_at", "updated_at"]
    # Covers are uploaded through the site's form, which validates and re-encodes them.
    exclude = ["cover"]
    inlines = [ReviewInline]

    @admin.display(description="Cover")
    def cover_preview(self, book):
        image = book.cover_thumbnail or book.cover
        if not image:
            return "—"
        return format_html('<img src="{}" alt="" height="48">', image.url)


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["book", "author", "rating", "created_at"]
    list_select_related = ["book", "author"]
    search_fields = ["review", "book__title"]
    raw_id_fields = ["book", "author"]

    def get_readonly_fields(self, request, obj=None):
        # Moving a review to another book would leave the first book's statistics behind.
        return ["book"] if obj is not None else []
