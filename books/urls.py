from django.urls import path

from . import views
from .cache import cacheable_for_anonymous
from .feeds import BookReviewsFeed, NewBooksFeed

urlpatterns = [
    path("", cacheable_for_anonymous(views.BookListView.as_view()), name="book_list"),
    path("create/", views.BookCreateView.as_view(), name="book_create"),
    path("<uuid:pk>/", cacheable_for_anonymous(views.BookDetailView.as_view()), name="book_detail"),
    path("<uuid:pk>/update/", views.BookUpdateView.as_view(), name="book_update"),
    path("<uuid:pk>/delete/", views.BookDeleteView.as_view(), name="book_delete"),
    path("<uuid:pk>/review/", views.review_create, name="review_create"),
    path("feed/", NewBooksFeed(), name="book_feed"),
    path("<uuid:pk>/reviews/feed/", BookReviewsFeed(), name="book_reviews_feed"),
]
