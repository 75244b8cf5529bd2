"""Each book's subject ids on its row (Book.subject_ids), filled for existing books, so a
search counts its matches per subject from the rows it found (books/filters.py)."""

from django.db import migrations, models


def fill_subject_ids(apps, schema_editor):
    Book = apps.get_model("books", "Book")
    using = schema_editor.connection.alias
    by_book = {}
    links = Book.subjects.through.objects.using(using).order_by("book_id", "subject_id")
    for book_id, subject_id in links.values_list("book_id", "subject_id").iterator(chunk_size=5000):
        by_book.setdefault(book_id, []).append(subject_id)
    batch = [Book(pk=book_id, subject_ids=ids) for book_id, ids in by_book.items()]
    Book.objects.using(using).bulk_update(batch, ["subject_ids"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [
        ("books", "0031_importjob_language"),
    ]

    operations = [
        migrations.AddField(
            model_name="book",
            name="subject_ids",
            field=models.JSONField(blank=True, default=list, editable=False),
        ),
        migrations.RunPython(fill_subject_ids, migrations.RunPython.noop, elidable=True),
    ]
