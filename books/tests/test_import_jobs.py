"""Staff import a CSV from the site; django-tasks-db's worker runs it, its page shows progress."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from books.models import Book, ImportJob
from tests.catalogue_files import goodreads_csv
from tests.factories import UserFactory

# The worker closes its database connections between tasks, as it should: no test transaction.
with_worker = pytest.mark.django_db(transaction=True)


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(username="staff", is_staff=True))
    return client


def upload(client, text, **extra):
    csv_file = SimpleUploadedFile("goodreads_library_export.csv", text.encode(), content_type="text/csv")
    return client.post(reverse("import_start"), {"file": csv_file, **extra})


@with_worker
def test_the_import_waits_for_the_worker_then_reports(staff_client):
    response = upload(staff_client, goodreads_csv(60, bad_every=20))
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    page = staff_client.get(job.get_absolute_url()).content.decode()
    assert "Waiting for the worker" in page and "data-import-running" in page
    assert not Book.objects.exists()  # nothing ran in the web request

    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)

    job.refresh_from_db()
    assert (job.status, job.processed_rows, job.total_rows, job.data) == ("done", 60, 60, "")
    assert Book.objects.count() == job.created_count == 57
    page = staff_client.get(job.get_absolute_url()).content.decode()
    assert "Created 57, updated 0, skipped 3." in page
    assert "not a whole number" in page and "data-import-running" not in page


@with_worker
def test_a_dry_run_from_the_page_writes_no_book(staff_client):
    upload(staff_client, goodreads_csv(5), dry_run="on")
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    assert ImportJob.objects.get().created_count == 5
    assert not Book.objects.exists()


@with_worker
def test_an_unknown_file_fails_with_a_reason(staff_client):
    upload(staff_client, "name,colour\nx,y\n")
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    job = ImportJob.objects.get()
    assert job.status == "failed" and "not a Goodreads export" in job.message


@pytest.mark.django_db
def test_members_who_are_not_staff_cannot_import(member_client):
    assert member_client.get(reverse("import_start")).status_code == 403
    assert upload(member_client, goodreads_csv(2)).status_code == 403
    assert not ImportJob.objects.exists()


@with_worker
def test_a_german_import_reports_its_skipped_rows_in_german(staff_client):
    staff_client.cookies["django_language"] = "de"  # the footer's switch
    upload(staff_client, goodreads_csv(20, bad_every=10))
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    job = ImportJob.objects.get()
    assert job.language == "de"
    reasons = " ".join(reason for _row, _title, reason in job.skipped_rows)
    assert "Dieses Feld darf nicht leer sein" in reasons and "Geben Sie ein Jahr zwischen" in reasons
    assert job.message.startswith("Angelegt: 18")
    assert "cannot be blank" not in staff_client.get(job.get_absolute_url()).content.decode()
