"""manage.py media_audit and media_copy, on moto's S3 server and on local disk."""

import os
import time
from io import StringIO

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError

from books.models import Book
from books.services import book_save
from covers import process_cover
from tests.factories import cover_upload, image_bytes

pytestmark = pytest.mark.django_db

DAY = 24 * 3600


def run(command, *args):
    """(exit status, stdout, stderr) of a management command, as the shell would see them."""
    out, err = StringIO(), StringIO()
    try:
        call_command(command, *args, stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue(), err.getvalue() + str(exc)
    return 0, out.getvalue(), err.getvalue()


def book_with_cover(member, title="Bloodchild"):
    book = Book(title=title, author="Octavia E. Butler", price="8.00")
    return book_save(book=book, creator=member, cover=process_cover(cover_upload()))


def list_requests(s3):
    return [query for method, _path, query in s3.requests if method == "GET" and "list-type=2" in query]


# --- media_audit on S3 -----------------------------------------------------------------------


def test_audit_of_a_consistent_bucket_finds_nothing_and_exits_zero(s3_storage, member):
    book_with_cover(member)
    book_with_cover(member, title="Fledgling")

    status, out, _err = run("media_audit")

    assert status == 0
    assert "4 files listed, 4 used by books: 0 orphans older than 24h, 0 younger, 0 missing files." in out


def test_audit_lists_orphans_without_deleting_them_by_default(s3_storage, member):
    book = book_with_cover(member)
    s3_storage.put("covers/forgotten.jpg", image_bytes())

    status, out, _err = run("media_audit", "--older-than", "0s")

    assert status == 1
    assert "orphan: covers/forgotten.jpg" in out
    assert "Dry run" in out
    assert "covers/forgotten.jpg" in s3_storage.stored_keys()
    assert book.cover.name not in out


def test_audit_deletes_orphans_older_than_the_grace_period(s3_storage, member):
    book = book_with_cover(member)
    s3_storage.put("covers/forgotten.jpg", image_bytes())
    s3_storage.put("covers/forgotten-thumb.jpg", image_bytes())

    status, out, _err = run("media_audit", "--delete-orphans", "--older-than", "0s")

    assert status == 1  # it found problems, even though it fixed them
    assert "Deleted 2 orphans." in out
    assert s3_storage.stored_keys() == sorted([book.cover.name, book.cover_thumbnail.name])
    assert run("media_audit", "--older-than", "0s")[0] == 0


def test_audit_never_deletes_orphans_within_the_grace_period(s3_storage):
    # Just uploaded: perhaps a cover whose transaction has not committed yet.
    s3_storage.put("covers/in-flight.jpg", image_bytes())

    status, out, _err = run("media_audit", "--delete-orphans")

    assert status == 0
    assert "recent orphan, within the grace period: covers/in-flight.jpg" in out
    assert s3_storage.stored_keys() == ["covers/in-flight.jpg"]


def test_audit_reports_books_whose_cover_or_thumbnail_is_missing(s3_storage, member):
    book = book_with_cover(member)
    s3_storage.client.delete_object(Bucket=s3_storage.bucket, Key=book.cover_thumbnail.name)

    status, out, _err = run("media_audit")

    assert status == 1
    assert f"missing file: book {book.pk} cover_thumbnail {book.cover_thumbnail.name}" in out
    assert f"cover {book.cover.name}" not in out


def test_audit_deletes_abandoned_direct_uploads_after_the_grace_period(s3_storage):
    s3_storage.put("incoming/never-finalized", image_bytes())

    assert (
        "recent orphan, within the grace period: incoming/never-finalized" in run("media_audit", "--delete-orphans")[1]
    )
    status, out, _err = run("media_audit", "--delete-orphans", "--older-than", "0s")

    assert status == 1 and "Deleted 1 orphans." in out
    assert s3_storage.stored_keys() == []


def test_audit_leaves_objects_outside_the_covers_prefix_alone(s3_storage):
    s3_storage.put("backups/db.sql", b"-- not media")

    status, _out, _err = run("media_audit", "--delete-orphans", "--older-than", "0s")

    assert status == 0
    assert s3_storage.stored_keys() == ["backups/db.sql"]


def test_audit_pages_through_a_large_bucket(s3_storage):
    for n in range(25):
        s3_storage.put(f"covers/orphan-{n:02}.jpg", b"x")
    s3_storage.reset_requests()

    status, out, _err = run("media_audit", "--older-than", "0s", "--page-size", "10", "--no-progress")

    assert status == 1
    assert out.count("orphan: covers/orphan-") == 25
    assert len(list_requests(s3_storage)) == 4  # 3 pages of covers/, 1 of incoming/
    assert all("max-keys=10" in query for query in list_requests(s3_storage))


def test_audit_works_under_a_location_prefix(s3_storage, member):
    s3_storage.configure(AWS_LOCATION="media")
    book = book_with_cover(member)
    s3_storage.put("media/covers/forgotten.jpg", b"x")
    s3_storage.put("covers/outside-the-location.jpg", b"x")

    status, out, _err = run("media_audit", "--delete-orphans", "--older-than", "0s")

    assert status == 1
    assert "orphan: covers/forgotten.jpg" in out
    assert s3_storage.stored_keys() == sorted(
        ["covers/outside-the-location.jpg", f"media/{book.cover.name}", f"media/{book.cover_thumbnail.name}"]
    )


def test_audit_refuses_a_grace_period_it_cannot_read(s3_storage):
    with pytest.raises(CommandError, match="not a duration"):
        call_command("media_audit", "--older-than", "tomorrow")


# --- media_audit on local disk -----------------------------------------------------------------


def write_file(root, name, content=b"x", age=0):
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    if age:
        then = time.time() - age
        os.utime(path, (then, then))
    return path


def test_local_audit_deletes_old_orphans_keeps_recent_ones_and_reports_missing_files(member, _media_root):
    book = book_with_cover(member)
    old = write_file(_media_root, "covers/old-orphan.jpg", age=2 * DAY)
    recent = write_file(_media_root, "covers/recent-orphan.jpg", age=3600)
    (_media_root / book.cover.name).unlink()

    status, out, _err = run("media_audit", "--delete-orphans")

    assert status == 1
    assert "orphan: covers/old-orphan.jpg" in out
    assert f"missing file: book {book.pk} cover {book.cover.name}" in out
    assert "Deleted 1 orphans." in out
    assert not old.exists()
    assert recent.exists()
    assert (_media_root / book.cover_thumbnail.name).exists()


def test_local_audit_of_consistent_media_exits_zero(member, _media_root):
    book_with_cover(member)

    status, out, _err = run("media_audit")

    assert status == 0
    assert "2 files listed, 2 used by books" in out


def test_local_audit_grace_period_is_configurable(_media_root):
    orphan = write_file(_media_root, "covers/two-hours-old.jpg", age=2 * 3600)

    assert run("media_audit", "--delete-orphans")[0] == 0
    assert orphan.exists()
    assert run("media_audit", "--delete-orphans", "--older-than", "90m")[0] == 1
    assert not orphan.exists()


# --- media_copy into S3 -------------------------------------------------------------------------


@pytest.fixture
def local_media(_media_root):
    """A laptop's media folder: covers of each type, a file in another folder, a dot file."""
    files = {
        "covers/a.jpg": image_bytes("JPEG"),
        "covers/a-thumb.jpg": image_bytes("JPEG", size=(40, 60)),
        "covers/b.png": image_bytes("PNG"),
        "covers/old-upload.bin": image_bytes("WEBP"),  # a name that says nothing of the type
        "exports/list.csv": b"title,author\n",
    }
    for name, content in files.items():
        write_file(_media_root, name, content)
    write_file(_media_root, "covers/.DS_Store", b"\0")
    return files


def test_copy_uploads_every_file_with_its_type_and_cache_control(s3_storage, local_media):
    status, out, _err = run("media_copy")

    assert status == 0
    assert "Copied 5 files, skipped 0 already present with the same size, 0 failed." in out
    assert s3_storage.stored_keys() == sorted(local_media)
    for name, content in local_media.items():
        assert s3_storage.read(name) == content
    types = {name: s3_storage.head(name)["ContentType"] for name in local_media}
    assert types["covers/a.jpg"] == "image/jpeg"
    assert types["covers/b.png"] == "image/png"
    assert types["covers/old-upload.bin"] == "image/webp"
    assert types["exports/list.csv"] == "text/csv"
    assert s3_storage.head("covers/a.jpg")["CacheControl"] == "public, max-age=31536000, immutable"


def test_copy_verifies_each_object_by_reading_its_size_back(s3_storage, local_media):
    run("media_copy")

    heads = [path for method, path, _query in s3_storage.requests if method == "HEAD"]
    puts = [path for method, path, _query in s3_storage.requests if method == "PUT"]
    assert len(puts) == len(heads) == 5
    assert sorted(heads) == sorted(puts)


def test_copy_run_again_skips_everything_and_uploads_nothing(s3_storage, local_media):
    run("media_copy")
    s3_storage.reset_requests()

    status, out, _err = run("media_copy")

    assert status == 0
    assert "Copied 0 files, skipped 5 already present with the same size, 0 failed." in out
    assert s3_storage.methods() == ["GET"]  # one listing page


def test_copy_replaces_an_object_whose_size_differs(s3_storage, local_media):
    s3_storage.put("covers/a.jpg", b"truncated")
    s3_storage.put("covers/b.png", local_media["covers/b.png"])

    status, out, _err = run("media_copy")

    assert status == 0
    assert "Copied 4 files, skipped 1" in out
    assert s3_storage.read("covers/a.jpg") == local_media["covers/a.jpg"]


def test_copy_reports_failures_copies_the_rest_and_exits_non_zero(s3_storage, local_media):
    s3_storage.server.refuse("PUT", "/covers/b.png")

    status, out, err = run("media_copy")

    assert status == 1
    assert "Copied 4 files, skipped 0 already present with the same size, 1 failed." in out
    assert "failed: covers/b.png" in err
    assert "covers/b.png" not in s3_storage.stored_keys()
    # A second run after the outage copies only what is left.
    s3_storage.reset_requests()
    assert run("media_copy")[1].startswith("copied covers/b.png")


def test_copy_dry_run_uploads_nothing(s3_storage, local_media):
    status, out, _err = run("media_copy", "--dry-run")

    assert status == 0
    assert "Would copy 5 files" in out
    assert "PUT" not in s3_storage.methods()


def test_copy_puts_files_under_the_location_prefix(s3_storage, local_media):
    s3_storage.configure(AWS_LOCATION="site")

    run("media_copy")

    assert s3_storage.stored_keys() == sorted(f"site/{name}" for name in local_media)


def test_copied_site_passes_the_audit(s3_storage, member, settings, _media_root):
    # A site on a laptop: covers on local disk...
    storages = settings.STORAGES
    settings.STORAGES = {**storages, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    book = book_with_cover(member)
    assert (_media_root / book.cover.name).exists()
    # ...moved to production: the same rows, the bucket configured.
    settings.STORAGES = storages

    assert run("media_copy")[0] == 0
    assert run("media_audit")[0] == 0
    assert default_storage.exists(book.cover.name)


# --- media_copy to local disk ---------------------------------------------------------------------


def test_copy_into_another_local_folder(settings, local_media, tmp_path):
    target = tmp_path / "shared-volume"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": target}},
    }

    status, out, _err = run("media_copy")

    assert status == 0
    assert "Copied 5 files" in out
    assert (target / "covers/a.jpg").read_bytes() == local_media["covers/a.jpg"]
    assert "skipped 5" in run("media_copy")[1]


def test_copy_refuses_when_no_bucket_is_configured(local_media):
    status, _out, err = run("media_copy")

    assert status == 1
    assert "set AWS_STORAGE_BUCKET_NAME" in err
