"""Atom feeds of new books and of one book's reviews (Django's syndication framework)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from .models import Book, Review

FEED_ITEMS = 30


class NewBooksFeed(Feed):
    """The newest books, as a reader's feed app shows them."""

    feed_type = Atom1Feed

    def title(self) -> str:
        return f"New books on {settings.BOOKSTORE_SITE_NAME}"

    subtitle = "The books members added most recently."

    def link(self) -> str:
        return reverse("book_list")

    def items(self) -> QuerySet[Book]:
        return Book.objects.only("id", "title", "author", "description", "created_at", "updated_at").order_by(
            "-created_at", "-id"
        )[:FEED_ITEMS]

    def item_title(self, item: Book) -> str:
        return f"{item.title}, by {item.author}"

    def item_description(self, item: Book) -> str:
        return item.description or f"{item.title}, by {item.author}."

    def item_pubdate(self, item: Book) -> datetime:
        return item.created_at

    def item_updateddate(self, item: Book) -> datetime:
        return item.updated_at


class BookReviewsFeed(Feed):
    """One book's newest reviews."""

    feed_type = Atom1Feed

    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Book:
        return get_object_or_404(Book.objects.only("id", "title", "author"), pk=kwargs["pk"])

    def title(self, obj: Book) -> str:
        return f"Reviews of {obj.title}"

    def subtitle(self, obj: Book) -> str:
        return f"The newest reviews of {obj.title}, by {obj.author}, on {settings.BOOKSTORE_SITE_NAME}."

    def link(self, obj: Book) -> str:
        return obj.get_absolute_url()

    def items(self, obj: Book) -> QuerySet[Review]:
        return obj.reviews.select_related("author").order_by("-id")[:FEED_ITEMS]

    def item_title(self, item: Review) -> str:
        rated = f", {item.rating} out of 5" if item.rating else ""
        return f"{item.author.username}{rated}"

    def item_description(self, item: Review) -> str:
        return item.review

    def item_link(self, item: Review) -> str:
        return f"{reverse('book_detail', args=[item.book_id])}#review-{item.pk}"

    def item_author_name(self, item: Review) -> str:
        return item.author.username

    def item_pubdate(self, item: Review) -> datetime:
        return item.created_at
