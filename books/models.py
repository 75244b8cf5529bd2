from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any, cast

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connections, models, transaction
from django.db.models import Aggregate, Avg, Count, Exists, F, IntegerField, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Length, Lower, Round
from django.db.models.sql import UpdateQuery
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from covers.files import deletes_replaced_files
from covers.keys import upload_to, variant_key

from . import search as searching
from .languages import language_name, validate_language
from .search import UNDECOMPOSED


class BookQuerySet(models.QuerySet["Book"]):
    CARD_FIELDS = (
        "id",
        "title",
        "author",
        "author_slug",
        "price",
        "cover",
        "cover_thumbnail",
        "cover_variants",
        "thumbnail_width",
        "thumbnail_height",
        "review_count",
        "rating_count",
        "rating_average",
        "created_at",
    )

    # ?sort= value -> ORDER BY, ending on the primary key so pages never overlap; each has a
    # matching index in Meta.indexes.
    SORTS: dict[str, tuple[Any, ...]] = {
        "newest": ("-created_at", "-id"),
        "title": (Lower("title"), "id"),  # a reader expects "alpha" before "Beta"
        "price": ("price", "id"),
        "rating": (models.F("rating_average").desc(nulls_last=True), "-rating_count", "-id"),
    }
    DEFAULT_SORT = "newest"
    # The orders a review can change without moving an average across a star (which changes
    # what filters find): a list page in them is rendered again after any review.
    REVIEWED_SORTS = frozenset({"rating"})

    def for_cards(self) -> BookQuerySet:
        """Only the columns a book card shows: no description, no creator join."""
        return self.only(*self.CARD_FIELDS)

    def recompute_review_stats(self) -> int:
        """The one rule for review statistics: recompute them for these books in one UPDATE.

        Callers writing reviews concurrently lock the book first (lock_and_recompute_review_stats).
        """
        return self.update(**review_stats_expressions(connections[self.db].vendor))

    def lock_and_recompute_review_stats(self) -> set[Any]:
        """`recompute_review_stats` after locking the rows, so that its snapshot holds every
        review committed by a writer before us (docs/ARCHITECTURE.md, "Review statistics").

        Returns the ids of the books whose average crossed a step of the rating filter ("3
        stars & up"): only those change which books a filter finds, and so the list's counts
        (books.cache.matches_version). Read under the lock, so two writers never both miss
        a crossing."""
        with transaction.atomic(using=self.db):
            before = dict(self.select_for_update().values_list("pk", "rating_average"))
            _recompute_review_stats_of(self.db, list(before))
            after = self.values_list("pk", "rating_average")
            return {pk for pk, average in after if rating_step(average) != rating_step(before.get(pk))}

    RELEVANCE = "relevance"  # the order of a search: only after search() or search_similar()

    def sorted_by(self, sort: str) -> BookQuerySet:
        """Order by a ?sort= value; anything unknown falls back to newest first."""
        if sort == self.RELEVANCE and "relevance" in self.query.annotations:
            # Ties: the shorter title is the closer match ("The Hobbit" before its companion).
            return self.order_by(F("relevance").desc(), Length("title"), "-id")
        return self.order_by(*self.SORTS.get(sort, self.SORTS[self.DEFAULT_SORT]))

    def search(self, query: str | None) -> BookQuerySet:
        """Books matching every word of `query`, in any order, in the title, author, ISBN,
        publisher or subjects, case and accents folded; an empty query matches everything.

        Each word is a `LIKE '%word%'` on the folded `search_text`, which a pg_trgm GIN index
        serves on PostgreSQL (migration 0030). Annotates `relevance` (sorted_by("relevance")).
        """
        query = (query or "").replace("\x00", "").strip()
        if not query:
            return self
        return self.matching(query).ranked(query)

    def matching(self, query: str) -> BookQuerySet:
        """search() without its ranking: for a query that only filters (cheaper to build)."""
        words = searching.query_words(query)
        isbn = searching.query_isbn(query)
        condition = searching.matches_every_word(words) if words else Q(pk__in=[])
        if isbn:
            condition |= Q(isbn=isbn)
        return self.filter(condition)

    def ranked(self, query: str) -> BookQuerySet:
        """search()'s `relevance` annotation alone, for books already known to match `query`."""
        words, isbn = searching.query_words(query), searching.query_isbn(query)
        return self.annotate(relevance=searching.relevance(words, isbn))

    def refresh_search_text(self) -> int:
        """Recompute `search_text` and `subject_ids` of these books (after their subjects
        changed): 2 queries and an UPDATE per 500 books."""
        books = list(self.only("id", "title", "author", "isbn", "publisher").prefetch_related("subjects"))
        for book in books:
            book.search_text = book.make_search_text(subject.name for subject in book.subjects.all())
            book.subject_ids = sorted(subject.pk for subject in book.subjects.all())
        SearchWord.add_words_of(book.search_text for book in books)
        return Book.objects.bulk_update(books, ["search_text", "subject_ids"], batch_size=500) if books else 0


RATING_STARS = (5, 4, 3, 2, 1)  # the distribution's bars, best first
RATING_STEPS = (4, 3, 2, 1)  # the rating filter's "4 stars & up" … (the words are the template's)


def rating_step(average: Any) -> int:
    """How many of the rating filter's steps a book with this average meets (0 unrated)."""
    return 0 if average is None else sum(average >= stars for stars in RATING_STEPS)


# What a member may type: a one-page blurb, a long review. Forms refuse more with a message.
DESCRIPTION_MAX_LENGTH = 10_000
REVIEW_MAX_LENGTH = 5_000


# The UPDATE of recompute_review_stats() for a number of books, compiled once per database
# backend: its eight correlated subqueries took Django about 13 of the 23 ms a recompute
# cost on PostgreSQL (running it, 5), and every review, edit or delete of one pays it. Kept
# as the SQL with the parameters before the books' ids, which come last (the WHERE).
_stats_updates: dict[tuple[str, type, int], tuple[str, tuple[Any, ...]]] = {}


def _recompute_review_stats_of(using: str, pks: list[Any]) -> int:
    """`Book.objects.filter(pk__in=pks).recompute_review_stats()`, without compiling it again."""
    if not pks:
        return 0
    connection = connections[using]
    pk_field = Book._meta.pk
    assert pk_field is not None  # noqa: S101  # for mypy: every model has one
    ids = tuple(pk_field.get_db_prep_value(pk, connection) for pk in pks)
    key = (using, type(connection), len(ids))
    compiled = _stats_updates.get(key)
    if compiled is None:
        books = Book.objects.using(using).filter(pk__in=pks)
        query = cast(UpdateQuery, books.query.chain(UpdateQuery))
        query.add_update_values(review_stats_expressions(connection.vendor))
        sql, params = query.get_compiler(using).as_sql()
        head, tail = tuple(params[: -len(ids)]), tuple(params[-len(ids) :])
        if tail != ids:  # not the shape this relies on: compile every time, as update() does
            return books.recompute_review_stats()
        compiled = _stats_updates[key] = (sql, head)
    sql, head = compiled
    with connection.cursor() as cursor:
        cursor.execute(sql, (*head, *ids))
        return cursor.rowcount


def review_stats_expressions(vendor: str = "postgresql") -> dict[str, Any]:
    """The stored statistics of a book (`OuterRef("pk")`) as SQL expressions for one UPDATE.

    The one rule for what counts: review_count is every review; the ratings (count, average,
    distribution) use only each member's most recent rated review of the book, so posting
    the same five stars ten times counts once. Rounded here, in SQL, and nowhere else.
    """
    reviews = Review.objects.filter(book=OuterRef("pk")).order_by().values("book")
    rated = reviews.filter(rating__isnull=False)
    # The same rule in the form each engine runs in linear time: PostgreSQL hashes one GROUP
    # BY (a NOT EXISTS probe per review outran its statement timeout on fresh tables), while
    # SQLite re-runs that GROUP BY for every review but probes the (book, author, id) index.
    if vendor == "postgresql":
        latest_per_member = (
            Review.objects.filter(book=OuterRef(OuterRef("pk")), rating__isnull=False)
            .order_by()
            .values("author")
            .annotate(latest=Max("id"))
            .values("latest")
        )
        counted = rated.filter(pk__in=latest_per_member)
    else:
        newer = Review.objects.filter(
            book=OuterRef("book"), author=OuterRef("author"), rating__isnull=False, pk__gt=OuterRef("pk")
        )
        counted = rated.filter(~Exists(newer))

    def per_book(queryset: QuerySet[Review, Any], aggregate: Aggregate) -> Subquery:
        return Subquery(queryset.annotate(value=aggregate).values("value"))

    def count(queryset: QuerySet[Review, Any], **filters: Any) -> Coalesce:
        aggregate = Count("id", filter=Q(**filters)) if filters else Count("id")
        return Coalesce(per_book(queryset, aggregate), Value(0), output_field=IntegerField())

    return {
        "review_count": count(reviews),
        "rating_count": count(counted),
        "rating_average": Round(per_book(counted, Avg("rating")), 2),
        **{f"rating_{stars}_count": count(counted, rating=stars) for stars in RATING_STARS},
    }


def slug_of_author(author: str) -> str:
    """The `/authors/<slug>/` of an author's name: ASCII where the name has a transliteration."""
    author = author.translate(UNDECOMPOSED)
    return slugify(author)[:200] or slugify(author, allow_unicode=True)[:200] or "unknown"


EARLIEST_YEAR = 1450  # Gutenberg's press: no printed book, hence no ISBN-era edition, before it


def validate_publication_year(year: int) -> None:
    """A sane year: after the first printed books, and at most next year (announced titles)."""
    latest = timezone.now().year + 1
    if year is not None and not EARLIEST_YEAR <= year <= latest:
        raise ValidationError(
            gettext("Enter a year between %(earliest)s and %(latest)s."),
            code="publication_year",
            params={"earliest": EARLIEST_YEAR, "latest": latest},
        )


class Subject(models.Model):
    """A subject (tag) of books, with its own page listing them."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True, allow_unicode=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("subject_detail", args=[self.slug])

    @staticmethod
    def slug_for(name: str) -> str:
        name = name.translate(UNDECOMPOSED)
        return slugify(name)[:100] or slugify(name, allow_unicode=True)[:100]


def is_owner(user: AbstractBaseUser | AnonymousUser, owner_id: Any) -> bool:
    """The ownership rule, written once: a book or a review may be changed by its owner only.

    On the owner's id alone, so a member's copy of a page applies it to the ids its holes carry
    without building a Book or Review for each (books/holes.py): a Book's __init__, with
    django-cleanup's post_init, cost 22 µs.
    """
    return user.is_authenticated and user.pk == owner_id


@deletes_replaced_files
class Book(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    title = models.CharField(max_length=200)
    author = models.CharField(max_length=200)
    price = models.DecimalField(max_digits=8, decimal_places=2, validators=[MinValueValidator(0)])
    description = models.TextField(blank=True, default="", max_length=DESCRIPTION_MAX_LENGTH)
    # Stored as the ISBN-13 (books.isbn.normalize_isbn); unique when present.
    isbn = models.CharField("ISBN", max_length=13, blank=True, default="")
    publisher = models.CharField(max_length=200, blank=True, default="")
    publication_year = models.PositiveSmallIntegerField(null=True, blank=True, validators=[validate_publication_year])
    pages = models.PositiveIntegerField(
        "number of pages", null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(100_000)]
    )
    language = models.CharField(max_length=3, blank=True, default="", validators=[validate_language])
    subjects = models.ManyToManyField(Subject, blank=True, related_name="books")
    # Kept from `author` by save() and the bulk services: the author's page is an index walk.
    author_slug = models.CharField(max_length=200, blank=True, default="", editable=False)
    # Kept by save(), the bulk services and subject changes (books.search.shadow_text): what
    # search matches, folded the same way on both databases.
    search_text = models.TextField(blank=True, default="", editable=False)
    # The subjects' ids, kept with search_text: a search's subject counts read them from the
    # rows it found, instead of joining every match to the subjects table (books/filters.py).
    subject_ids = models.JSONField(default=list, blank=True, editable=False)
    cover = models.ImageField(upload_to=upload_to, blank=True, default="")
    # Made from the cover by covers.pipeline; stored beside it and removed with it.
    cover_thumbnail = models.ImageField(upload_to=upload_to, blank=True, default="", editable=False)
    thumbnail_width = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    thumbnail_height = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    # The widths of the cover's AVIF/WebP variants, stored beside it under names made from its
    # own (covers.keys.variant_key): {"avif": [160, 320], "webp": [160, 320]}. Empty ({}) until
    # made, at upload or by `manage.py cover_variants`.
    cover_variants = models.JSONField(default=dict, blank=True, editable=False)
    creator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="books")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Kept up to date by Review writes (books.signals), so lists never aggregate.
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

    REVIEW_STAT_FIELDS = (
        "review_count",
        "rating_count",
        "rating_average",
        *(f"rating_{n}_count" for n in RATING_STARS),
    )

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
            models.Index(fields=["author_slug", "-created_at", "-id"], name="book_author_newest_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["isbn"],
                condition=~Q(isbn=""),
                name="book_isbn_unique",
                violation_error_message="Another book already has this ISBN.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    SEARCHED_FIELDS = frozenset({"title", "author", "isbn", "publisher"})
    # What decides which books a search, a filter or a book group finds and in which order
    # (but the prices and the ratings): an edit of anything else (a cover, a description)
    # leaves the list's counts and the order of its pages (books.cache.matches_version).
    MATCHED_FIELDS = (
        *sorted(SEARCHED_FIELDS),
        *("author_slug", "search_text", "subject_ids", "language", "publication_year", "creator_id"),
    )

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.author_slug = slug_of_author(self.author)
        subjects = [] if self._state.adding else list(self.subjects.values_list("pk", "name"))
        self.search_text = self.make_search_text(name for _, name in subjects)
        self.subject_ids = sorted(pk for pk, _ in subjects)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and self.SEARCHED_FIELDS & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "author_slug", "search_text", "subject_ids"}
        super().save(*args, **kwargs)
        SearchWord.add_words_of([self.search_text], using=kwargs.get("using"))

    def get_absolute_url(self) -> str:
        # A card asks twice; reverse() is a visible share of rendering 24 cards, and the
        # UUID of a book never changes.
        url = self.__dict__.get("_absolute_url")
        if url is None:
            url = self.__dict__["_absolute_url"] = reverse("book_detail", args=[str(self.id)])
        return url

    def make_search_text(self, subjects: Iterable[str]) -> str:
        return searching.shadow_text(
            title=self.title, author=self.author, isbn=self.isbn, publisher=self.publisher, subjects=subjects
        )

    @property
    def language_name(self) -> str:
        return language_name(self.language)

    def get_author_url(self) -> str:
        return reverse("author_detail", args=[self.author_slug or slug_of_author(self.author)])

    def cover_sources(self) -> list[dict[str, str]]:
        """The <source> elements of the cover's <picture>: [{"type": "image/avif", "srcset":
        "/media/covers/…-w160.avif 160w, …"}, …], best format first; [] without variants."""
        name = self.cover.name
        if not name or not self.cover_variants:
            return []
        storage = self.cover.storage
        cover_url = storage.url(name)
        filename = name.rsplit("/", 1)[-1]
        # The variants sit beside the cover: unless the storage signs each URL, theirs are
        # the cover's with the file name changed, without asking the storage again.
        prefix = cover_url[: -len(filename)] if cover_url.endswith(filename) else None
        sources = []
        for extension, widths in self.cover_variants.items():
            if not widths:
                continue
            candidates = []
            for width in widths:
                key = variant_key(name, width, extension)
                url = prefix + key.rsplit("/", 1)[-1] if prefix is not None else storage.url(key)
                candidates.append(f"{url} {width}w")
            sources.append({"type": f"image/{extension}", "srcset": ", ".join(candidates)})
        return sources

    def is_editable_by(self, user: AbstractBaseUser | AnonymousUser) -> bool:
        """Only the member who added a book may change it."""
        return is_owner(user, self.creator_id)

    def refresh_review_stats(self) -> None:
        """Recompute this book's review statistics and read them back."""
        Book.objects.filter(pk=self.pk).lock_and_recompute_review_stats()
        self.refresh_from_db(fields=self.REVIEW_STAT_FIELDS)

    def rating_distribution(self) -> list[dict[str, int]]:
        """One bar per number of stars, best first: count and whole-number share of the ratings."""
        total = self.rating_count
        bars = []
        for stars in RATING_STARS:
            count = getattr(self, f"rating_{stars}_count")
            bars.append({"stars": stars, "count": count, "percent": round(100 * count / total) if total else 0})
        return bars


class SearchWord(models.Model):
    """Every word of the books' search text, once: where a misspelt word finds the word it
    meant (PostgreSQL's trigram similarity over a few thousand rows, not 100,000 books).
    Added by every write of search_text; a word no book uses any more only costs a row."""

    word = models.CharField(max_length=100, primary_key=True)

    def __str__(self) -> str:
        return self.word

    @classmethod
    def add_words_of(cls, texts: Iterable[str], using: str | None = None) -> None:
        words = {word for text in texts for word in searching.vocabulary_words(text)}
        if words:
            SearchWord.objects.using(using).bulk_create(
                [SearchWord(word=word) for word in words], ignore_conflicts=True
            )

    @classmethod
    def closest(cls, word: str) -> str:
        """The known word most similar to `word` (pg_trgm's `%` and similarity()), or ""."""
        closest = (
            cls.objects.filter(searching.Similar(F("word"), Value(word)))
            .annotate(score=searching.Similarity(F("word"), Value(word)))
            .order_by("-score", "word")
            .values_list("word", flat=True)
            .first()
        )
        return closest or ""


class Review(models.Model):
    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="reviews")
    review = models.TextField(max_length=REVIEW_MAX_LENGTH)
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

    def __str__(self) -> str:
        return self.review[:50]

    REVIEWS_PER_PAGE = 20  # on the book's page

    def get_absolute_url(self) -> str:
        """The review on its book's page, in the default order (newest first): one COUNT."""
        newer = Review.objects.filter(book_id=self.book_id, pk__gt=self.pk).count()
        page = newer // self.REVIEWS_PER_PAGE + 1
        query = f"?page={page}" if page > 1 else ""
        return f"{self.book.get_absolute_url()}{query}#review-{self.pk}"

    def is_editable_by(self, user: AbstractBaseUser | AnonymousUser) -> bool:
        """Only the member who wrote a review may change it."""
        return is_owner(user, self.author_id)


class CatalogueVersion(models.Model):
    """The one row whose token every committed write a page shows replaces (books/cache.py).

    Kept in the database, not in Redis, so that a write made while Redis is down or paused
    still retires every cached page: the cache can miss a message, the database cannot.
    """

    token = models.CharField(max_length=32)

    def __str__(self) -> str:
        return self.token


class ImportJob(models.Model):
    """A CSV import started from the staff page, run by the task worker (books/tasks.py)."""

    QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"

    creator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_jobs")
    file_name = models.CharField(max_length=200)
    # Written by the upload view and the task only, never by a form.
    data = models.TextField(editable=False, help_text="The CSV, kept until the import has run.")
    dry_run = models.BooleanField(default=False)
    status = models.CharField(max_length=10, default=QUEUED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    skipped_rows = models.JSONField(default=list, blank=True)  # [[row, title, reason], …]
    message = models.TextField(blank=True, default="", editable=False)
    # The starter's language: the worker writes the message and the skipped rows' reasons in it.
    language = models.CharField(max_length=10, blank=True, default="", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("import_job", args=[self.pk])

    @property
    def status_text(self) -> str:
        """The status as the reader's language says it (the stored value stays English)."""
        labels = {self.QUEUED: _("queued"), self.RUNNING: _("running"), self.DONE: _("done"), self.FAILED: _("failed")}
        return str(labels.get(self.status, self.status))

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.processed_rows / self.total_rows)) if self.total_rows else 0

    @property
    def finished(self) -> bool:
        return self.status in (self.DONE, self.FAILED)
