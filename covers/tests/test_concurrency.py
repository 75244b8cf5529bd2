"""Per-process bound on cover decodes (COVER_PROCESSING_CONCURRENCY): memory stays predictable
however many uploads arrive at once, and an upload that cannot get a slot in time is told to
try again instead of hanging."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from books.models import Book
from covers import pipeline
from covers.tests import images


class DecodeWatch:
    """Wraps pipeline.decode: counts the decodes running at once, each held for a moment."""

    def __init__(self, hold=0.15):
        self.real = pipeline.decode
        self.hold = hold
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0

    def __call__(self, *args, **kwargs):
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            time.sleep(self.hold)
            return self.real(*args, **kwargs)
        finally:
            with self.lock:
                self.running -= 1


def upload():
    return SimpleUploadedFile("cover.png", images.encode(images.photo((300, 450)), "PNG"))


def test_at_most_the_configured_number_of_covers_decode_at_once(settings, monkeypatch):
    settings.COVER_PROCESSING_CONCURRENCY = 2
    watch = DecodeWatch()
    monkeypatch.setattr(pipeline, "decode", watch)

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _n: pipeline.process_cover(upload()), range(6)))

    assert watch.most == 2
    assert all(result.image.format == "JPEG" for result in results)


def test_an_upload_that_waits_too_long_for_a_slot_is_told_to_try_again(settings):
    settings.COVER_PROCESSING_CONCURRENCY = 1
    settings.COVER_PROCESSING_WAIT_SECONDS = 0.2
    held, release = threading.Event(), threading.Event()

    def hold_the_only_slot():
        with pipeline.processing_slot():
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold_the_only_slot)
    holder.start()
    held.wait(5)
    try:
        started = time.monotonic()
        with pytest.raises(ValidationError) as excinfo:
            pipeline.process_cover(upload())
        assert time.monotonic() - started < 2
    finally:
        release.set()
        holder.join()
    assert excinfo.value.code == "busy"
    assert excinfo.value.messages == [pipeline.BUSY]
    assert pipeline.process_cover(upload()).image.format == "JPEG"  # the slot is free again


@pytest.mark.django_db
def test_a_busy_refusal_is_a_form_error_and_writes_nothing(settings, member_client):
    settings.COVER_PROCESSING_CONCURRENCY = 1
    settings.COVER_PROCESSING_WAIT_SECONDS = 0.1
    with pipeline.processing_slot():  # another upload of this process is decoding
        response = member_client.post(
            "/books/create/", {"title": "Kindred", "author": "Octavia E. Butler", "price": "10.00", "cover": upload()}
        )
    assert response.status_code == 200
    assert response.context["form"].errors["cover"] == [pipeline.BUSY]
    assert not Book.objects.exists()
