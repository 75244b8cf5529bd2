"""Indexes for every ?sort= of the list and for search.

The sort indexes match each ORDER BY column for column (id last, the tie-break), so a
page of 24 is an index walk. The rating index needs NULLS LAST on PostgreSQL (Django puts
NULL averages last on every database), so it is created per database here.

Search: Django's `icontains` compiles to `UPPER("title"::text) LIKE UPPER('%q%')` on
PostgreSQL; a pg_trgm GIN index on that exact expression is what lets the planner answer
it without reading the table. SQLite has no trigram index and scans.
"""

from django.db import migrations, models
from django.db.models.functions import Lower

PG_CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS book_title_trgm_idx ON books_book USING gin ((UPPER(title::text)) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS book_author_trgm_idx ON books_book USING gin ((UPPER(author::text)) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS book_rating_idx ON books_book (rating_average DESC NULLS LAST, rating_count DESC, id DESC)",
]
PG_DROP = [
    "DROP INDEX IF EXISTS book_title_trgm_idx",
    "DROP INDEX IF EXISTS book_author_trgm_idx",
    "DROP INDEX IF EXISTS book_rating_idx",
    # The extension stays: other databases objects may use it.
]
# SQLite sorts NULL first ascending, so DESC already puts NULL averages last.
SQLITE_CREATE = [
    "CREATE INDEX IF NOT EXISTS book_rating_idx ON books_book (rating_average DESC, rating_count DESC, id DESC)",
]
SQLITE_DROP = ["DROP INDEX IF EXISTS book_rating_idx"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("books", "0001_initial"),
    ]

    operations = [
        # Superseded by book_newest_id_idx, which also covers the id tie-break.
        migrations.RemoveIndex(model_name="book", name="book_newest_idx"),
        migrations.AddIndex(
            model_name="book",
            index=models.Index(fields=["-created_at", "-id"], name="book_newest_id_idx"),
        ),
        migrations.AddIndex(
            model_name="book",
            index=models.Index(Lower("title"), "id", name="book_title_id_idx"),
        ),
        migrations.AddIndex(
            model_name="book",
            index=models.Index(fields=["price", "id"], name="book_price_id_idx"),
        ),
        migrations.RunPython(
            _run({"postgresql": PG_CREATE, "sqlite": SQLITE_CREATE}),
            _run({"postgresql": PG_DROP, "sqlite": SQLITE_DROP}),
            elidable=False,
        ),
    ]
