import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Avg, Count, Exists, F, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Lower, Round
from django.urls import reverse

from covers.keys import upload_to


class BookQuerySet(models.QuerySet):
    CARD_FIELDS = (
        "id",
        "title",
        "author",
        "price",
        "cover_thumbnail",
        "thumbnail_width",
        "thumbnail_height",
        "review_count",
        "rating_count",
        "rating_average",
        "created_at",
    )

    # ?sort= value -> ORDER BY. Every ordering ends on the primary key so that pages never
    # overlap or skip a book when two books share a title, price or rating, and each one has
    # an index in Meta.indexes that matches it column for column (LIMIT/OFFSET walks it).
    SORTS = {
        "newest": ("-created_at", "-id"),
        "title": (Lower("title"), "id"),  # a reader expects "alpha" before "Beta"
        "price": ("price", "id"),
        "rating": (models.F("rating_average").desc(nulls_last=True), "-rating_count", "-id"),
    }
    DEFAULT_SORT = "newest"

    def for_cards(self):
        """Only the columns a book card shows: no description, no creator join."""
        return self.only(*self.CARD_FIELDS)

    def recompute_review_stats(self):
        """Recompute the stored review statistics of these books in one UPDATE.

        For bulk writers (bulk_create skips the signals that keep them current).
        """
        return self.update(**review_stats_expressions())

    def sorted_by(self, sort):
        """Order by a ?sort= value; anything unknown falls back to newest first."""
        return self.order_by(*self.SORTS.get(sort, self.SORTS[self.DEFAULT_SORT]))

    def search(self, query):
        """Title or author contains `query`, ignoring case; an empty query matches everything.

        `icontains` compiles to `UPPER(col::text) LIKE UPPER(%s)` on PostgreSQL, which the
        trigram GIN indexes on UPPER(title)/UPPER(author) of migration 0002 serve.
        """
        query = (query or "").strip()
        if not query:
            return self
        return self.filter(Q(title__icontains=query) | Q(author__icontains=query))


RATING_STARS = (5, 4, 3, 2, 1)  # the distribution's bars, best first


def review_stats_expressions() -> dict:
    """The stored statistics of a book (`OuterRef("pk")`) as SQL expressions for one UPDATE.

    The one rule for what counts: review_count is every review; the ratings (count, average,
    distribution) use only each member's most recent rated review of the book, so posting
    the same five stars ten times counts once. Rounded here, in SQL, and nowhere else.
    """
    reviews = Review.objects.filter(book=OuterRef("pk")).order_by().values("book")
    newer_rating_by_same_author = Review.objects.filter(
        book=OuterRef("book"), author=OuterRef("author"), rating__isnull=False, pk__gt=OuterRef("pk")
    )
    counted = reviews.filter(rating__isnull=False).filter(~Exists(newer_rating_by_same_author))

    def per_book(queryset, aggregate):
        return Subquery(queryset.annotate(value=aggregate).values("value"))

    def count(queryset, **filters):
        aggregate = Count("id", filter=Q(**filters)) if filters else Count("id")
        return Coalesce(per_book(queryset, aggregate), Value(0), output_field=IntegerField())

    return {
        "review_count": count(reviews),
        "rating_count": count(counted),
        "rating_average": Round(per_book(counted, Avg("rating")), 2),
        **{f"rating_{stars}_count": count(counted, rating=stars) for stars in RATING_STARS},
    }


class Book(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    title = models.CharField(max_length=200)
    author = models.CharField(max_length=200)
    price = models.DecimalField(max_digits=8, decimal_places=2, validators=[MinValueValidator(0)])
    description = models.TextField(blank=True, default="")
    cover = models.ImageField(upload_to=upload_to, blank=True, default="")
    # Made from the cover by covers.pipeline; stored beside it and removed with it.
    cover_thumbnail = models.ImageField(upload_to=upload_to, blank=True, default="", editable=False)
    thumbnail_width = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    thumbnail_height = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    creator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="books")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Kept up to date by Review writes (refresh_review_stats), so lists never aggregate.
    review_count = models.PositiveIntegerField(default=0, editable=False)
    rating_count = models.PositiveIntegerField(default=0, editable=False)
    rating_average = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True, editable=False)
    # The distribution: how many members' counted ratings have each number of stars.
    rating_5_count = models.PositiveIntegerField(default=0, editable=False)
    rating_4_count = models.PositiveIntegerField(default=0, editable=False)
    rating_3_count = models.PositiveIntegerField(default=0, editable=False)
    rating_2_count = models.PositiveIntegerField(default=0, editable=False)
    rating_1_count = models.PositiveIntegerField(default=0, editable=False)

    objects = BookQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # One per ?sort=, matching its ORDER BY including the id tie-break, so a page is
            # an index walk. The rating one needs NULLS LAST on PostgreSQL, so migration 0002
            # creates it per database, with the trigram search indexes.
            models.Index(fields=["-created_at", "-id"], name="book_newest_id_idx"),
            models.Index(Lower("title"), "id", name="book_title_id_idx"),
            models.Index(fields=["price", "id"], name="book_price_id_idx"),
            # A member's page lists the books they added, newest first.
            models.Index(fields=["creator", "-created_at", "-id"], name="book_creator_newest_idx"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        # A card asks twice; reverse() is a visible share of rendering 24 cards, and the
        # UUID of a book never changes.
        url = self.__dict__.get("_absolute_url")
        if url is None:
            url = self.__dict__["_absolute_url"] = reverse("book_detail", args=[str(self.id)])
        return url

    def is_editable_by(self, user):
        """The ownership rule, written once: only the member who added a book may change it."""
        return user.is_authenticated and user.pk == self.creator_id

    def refresh_review_stats(self):
        """Recompute the stored review statistics from this book's reviews, in one UPDATE."""
        Book.objects.filter(pk=self.pk).recompute_review_stats()
        self.refresh_from_db(fields=REVIEW_STATS_FIELDS)

    def rating_distribution(self) -> list[dict]:
        """One bar per number of stars, best first: count and whole-number share of the ratings."""
        total = self.rating_count
        bars = []
        for stars in RATING_STARS:
            count = getattr(self, f"rating_{stars}_count")
            bars.append({"stars": stars, "count": count, "percent": round(100 * count / total) if total else 0})
        return bars


REVIEW_STATS_FIELDS = ["review_count", "rating_count", "rating_average"] + [
    f"rating_{stars}_count" for stars in RATING_STARS
]


class Review(models.Model):
    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="reviews")
    review = models.TextField(max_length=5000)
    rating = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="Optional: 1 to 5 stars.",
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews")
    created_at = models.DateTimeField(auto_now_add=True)

    # ?sort= value of a book's reviews -> ORDER BY. The id stands for the time of posting (it
    # only grows) and breaks ties; unrated reviews come last in both rating orders.
    SORTS = {
        "newest": ("-id",),
        "oldest": ("id",),
        "highest": (F("rating").desc(nulls_last=True), "-id"),
        "lowest": (F("rating").asc(nulls_last=True), "id"),
    }
    DEFAULT_SORT = "newest"

    class Meta:
        ordering = ["id"]  # oldest first, so Review.objects.last() is the newest
        indexes = [
            # One per sort of a book's reviews, so a page of them is an index walk; (book, id)
            # serves newest and oldest. The rating sorts need NULLS LAST, which SQLite refuses
            # in an index: migration 0003 creates those two per database. (book, author, id)
            # answers "is there a newer rating by the same member"; (author, id) a member's page.
            models.Index(fields=["book", "id"], name="review_book_id_idx"),
            models.Index(fields=["book", "author", "id"], name="review_book_author_id_idx"),
            models.Index(fields=["author", "id"], name="review_author_id_idx"),
        ]

    def __str__(self):
        return self.review[:50]

    REVIEWS_PER_PAGE = 20  # on the book's page

    def get_absolute_url(self) -> str:
        """The review on its book's page, in the default order (newest first): one COUNT."""
        newer = Review.objects.filter(book_id=self.book_id, pk__gt=self.pk).count()
        page = newer // self.REVIEWS_PER_PAGE + 1
        query = f"?page={page}" if page > 1 else ""
        return f"{self.book.get_absolute_url()}{query}#review-{self.pk}"

    def is_editable_by(self, user) -> bool:
        """The ownership rule, written once: only the member who wrote a review may change it."""
        return user.is_authenticated and user.pk == self.author_id
