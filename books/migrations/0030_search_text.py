"""The folded search text both databases match on (books.search), filled for existing books,
with a pg_trgm GIN index on PostgreSQL that serves every `LIKE '%word%'`; and the words of
that text once each (SearchWord), whose trigram index finds the word a misspelling meant.

It replaces the trigram indexes on UPPER(title) and UPPER(author) of migration 0002, which
no query uses any more.
"""

from django.db import migrations, models

from books.search import shadow_text, vocabulary_words

PG_CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS book_search_text_trgm_idx ON books_book USING gin (search_text gin_trgm_ops)",
    # Without a pending list, so the planner trusts the index right after words are added.
    "CREATE INDEX IF NOT EXISTS searchword_trgm_idx ON books_searchword USING gin (word gin_trgm_ops)"
    " WITH (fastupdate = off)",
    "DROP INDEX IF EXISTS book_title_trgm_idx",
    "DROP INDEX IF EXISTS book_author_trgm_idx",
]
PG_DROP = [
    "DROP INDEX IF EXISTS searchword_trgm_idx",
    "DROP INDEX IF EXISTS book_search_text_trgm_idx",
    "CREATE INDEX IF NOT EXISTS book_title_trgm_idx ON books_book USING gin ((UPPER(title::text)) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS book_author_trgm_idx ON books_book USING gin ((UPPER(author::text)) gin_trgm_ops)",
]


def fill_search_text(apps, schema_editor):
    Book = apps.get_model("books", "Book")
    SearchWord = apps.get_model("books", "SearchWord")
    using = schema_editor.connection.alias
    batch = []
    words = set()
    books = Book.objects.using(using).only("id", "title", "author", "isbn", "publisher").prefetch_related("subjects")
    for book in books.iterator(chunk_size=2000):
        book.search_text = shadow_text(
            title=book.title,
            author=book.author,
            isbn=book.isbn,
            publisher=book.publisher,
            subjects=[subject.name for subject in book.subjects.all()],
        )
        batch.append(book)
        words |= vocabulary_words(book.search_text)
        if len(batch) == 2000:
            Book.objects.using(using).bulk_update(batch, ["search_text"])
            batch = []
    if batch:
        Book.objects.using(using).bulk_update(batch, ["search_text"])
    SearchWord.objects.using(using).bulk_create(
        [SearchWord(word=word) for word in sorted(words)], batch_size=2000, ignore_conflicts=True
    )


def indexes(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("books", "0020_book_cover_variants"),
    ]

    operations = [
        migrations.AddField(
            model_name="book",
            name="search_text",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.CreateModel(
            name="SearchWord",
            fields=[("word", models.CharField(max_length=100, primary_key=True, serialize=False))],
        ),
        migrations.RunPython(fill_search_text, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(indexes(PG_CREATE), indexes(PG_DROP), elidable=False),
    ]
