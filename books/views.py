from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_http_methods
from django.views.generic import CreateView, DeleteView, DetailView, ListView, UpdateView

from .forms import BookForm, ReviewForm
from .models import Book
from .services import CoverStorageError, save_book


class CreatorRequiredMixin(LoginRequiredMixin):
    """Lets only the book's creator through; everyone else signed in gets a 403 page."""

    def get_object(self, queryset=None):
        book = super().get_object(queryset)
        if not book.is_editable_by(self.request.user):
            raise PermissionDenied("Only the member who added this book can change or delete it.")
        return book


class BookFormMixin:
    """Saves a BookForm through the service that stores the cover safely."""

    form_class = BookForm
    template_name = "books/book_form.html"
    success_message = ""

    def form_valid(self, form):
        try:
            self.object = save_book(form, creator=self.get_creator())
        except CoverStorageError as exc:
            form.add_error("cover", str(exc))
            return self.form_invalid(form)
        messages.success(self.request, self.success_message % {"title": self.object.title})
        return redirect(self.object)

    def get_creator(self):
        return None


class BookListView(ListView):
    """The catalogue, newest first, a page at a time."""

    model = Book
    paginate_by = 24
    context_object_name = "book_list"
    template_name = "books/book_list.html"

    def get_queryset(self):
        return Book.objects.for_cards()


class BookDetailView(DetailView):
    """One book with its cover, reviews (oldest first) and the review form."""

    model = Book
    context_object_name = "book"
    template_name = "books/book_detail.html"
    queryset = Book.objects.select_related("creator")

    def get_context_data(self, **kwargs):
        return super().get_context_data(**detail_context(self.request, self.object), **kwargs)


def detail_context(request, book, review_form=None):
    return {
        "book": book,
        "reviews": book.reviews.select_related("author"),
        "review_form": review_form or ReviewForm(),
        "can_edit": book.is_editable_by(request.user),
    }


class BookCreateView(LoginRequiredMixin, BookFormMixin, CreateView):
    """Add a book; the creator is always the signed-in member."""

    success_message = "“%(title)s” was added."

    def get_creator(self):
        return self.request.user


class BookUpdateView(CreatorRequiredMixin, BookFormMixin, UpdateView):
    """Change a book, keeping its cover unless a new one is chosen or it is removed."""

    model = Book
    success_message = "“%(title)s” was updated."


class BookDeleteView(CreatorRequiredMixin, DeleteView):
    """Delete a book after a confirmation page; its reviews and files go with it."""

    model = Book
    template_name = "books/book_confirm_delete.html"
    success_url = reverse_lazy("book_list")

    def form_valid(self, form):
        title = self.object.title
        response = super().form_valid(form)
        messages.success(self.request, f"“{title}” was deleted.")
        return response


@require_http_methods(["GET", "POST"])
def review_create(request, pk):
    """Post a review of a book; a GET just goes back to the book."""
    book = get_object_or_404(Book.objects.select_related("creator"), pk=pk)
    if not request.user.is_authenticated:
        # Come back to the book's page, not to this POST-only address.
        return redirect_to_login(book.get_absolute_url())
    if request.method == "GET":
        return redirect(book)
    form = ReviewForm(request.POST)
    if form.is_valid():
        review = form.save(commit=False)
        review.book = book
        review.author = request.user
        review.save()
        messages.success(request, "Thank you, your review was posted.")
        return redirect(f"{book.get_absolute_url()}#review-{review.pk}")
    messages.error(request, "Your review was not posted: please correct the errors below.")
    return render(request, "books/book_detail.html", detail_context(request, book, form))
