"""Work done by the task worker (`manage.py db_worker`), never in a web request."""

from __future__ import annotations

import io

from django.conf import settings
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from .importing import ImportFileError, count_rows, import_books
from .models import ImportJob

SKIPPED_ROWS_KEPT = 1000  # shown on the job's page; the counts include every row


@task()
def run_import(job_id: int) -> None:
    """Import a staff member's uploaded CSV, recording progress on its ImportJob row."""
    job = ImportJob.objects.select_related("creator").get(pk=job_id)
    # The report is written once, in the language of the staff member who started the import.
    with translation.override(job.language or settings.LANGUAGE_CODE):
        _run(job)


def _run(job: ImportJob) -> None:
    job_id = job.pk
    job.status, job.total_rows = ImportJob.RUNNING, count_rows(job.data.encode())
    job.save(update_fields=["status", "total_rows"])

    def progress(rows: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(processed_rows=F("processed_rows") + rows)

    try:
        report = import_books(io.StringIO(job.data), creator=job.creator, dry_run=job.dry_run, progress=progress)
    except ImportFileError as exc:
        job.status, job.message = ImportJob.FAILED, str(exc)
    except Exception:
        job.status, job.message = ImportJob.FAILED, _("The import stopped on an unexpected error; it has been logged.")
        _finish(job)
        raise
    else:
        job.status, job.message = ImportJob.DONE, report.summary()
        job.created_count, job.updated_count = report.count("created"), report.count("updated")
        job.skipped_count = report.count("skipped")
        skipped = [r for r in report.results if r.status == "skipped"][:SKIPPED_ROWS_KEPT]
        job.skipped_rows = [[r.row, r.title, r.reason] for r in skipped]
    _finish(job)


def _finish(job: ImportJob) -> None:
    job.data, job.finished_at = "", timezone.now()
    job.refresh_from_db(fields=["processed_rows"])
    if job.status == ImportJob.DONE:
        job.processed_rows = job.total_rows
    job.save()
