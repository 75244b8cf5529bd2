"""Local media saves are atomic (covers.storage.AtomicFileSystemStorage): a disk that fills up
part-way through a file leaves no truncated file behind and no row pointing at one."""

import errno
import os
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from books.models import Book
from covers.files import STORAGE_UNAVAILABLE
from covers.tests import images

pytestmark = pytest.mark.django_db


class FillingDisk:
    """A file under the media folder on a disk with `room` bytes left: ENOSPC once it is used."""

    def __init__(self, file, room):
        self._file = file
        self._room = room

    def write(self, data):
        part = data[: max(self._room, 0)]
        self._file.write(part)
        self._room -= len(part)
        if len(part) < len(data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return len(data)

    def __getattr__(self, name):
        return getattr(self._file, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self._file.close()


@pytest.fixture
def disk_with_room(monkeypatch, _media_root):
    """Call with a number of bytes: files opened under MEDIA_ROOT from then on fill the disk."""

    def fill_after(room):
        real_fdopen = os.fdopen

        def fdopen(fd, *args, **kwargs):
            file = real_fdopen(fd, *args, **kwargs)
            if os.readlink(f"/proc/self/fd/{fd}").startswith(str(_media_root)):
                return FillingDisk(file, room)
            return file

        monkeypatch.setattr(os, "fdopen", fdopen)

    return fill_after


def files_under(root: Path):
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def test_a_full_disk_leaves_no_partial_file(disk_with_room, _media_root):
    disk_with_room(100_000)
    with pytest.raises(OSError) as excinfo:
        default_storage.save("covers/big.jpg", ContentFile(b"x" * 300_000))
    assert excinfo.value.errno == errno.ENOSPC
    assert files_under(_media_root) == []


def test_a_cover_upload_on_a_full_disk_is_a_form_error_and_leaves_nothing(disk_with_room, member_client, _media_root):
    disk_with_room(20_000)  # part-way through the cover (a 600x900 photo: about 100 KB)
    cover = SimpleUploadedFile("photo.jpg", images.jpeg(images.photo((600, 900))))
    response = member_client.post(
        "/books/create/", {"title": "Kindred", "author": "Octavia E. Butler", "price": "10.00", "cover": cover}
    )
    assert response.status_code == 200
    assert STORAGE_UNAVAILABLE in response.content.decode()
    assert not Book.objects.exists()
    assert files_under(_media_root) == []


def test_saved_files_are_whole_and_readable_by_others(_media_root):
    name = default_storage.save("covers/whole.jpg", ContentFile(b"y" * 300_000))
    path = _media_root / name
    assert path.read_bytes() == b"y" * 300_000
    assert path.stat().st_mode & 0o777 == 0o644
    assert files_under(_media_root) == ["covers/whole.jpg"]
    assert default_storage.save("covers/whole.jpg", ContentFile(b"z")) != name  # never replaced
    assert path.read_bytes() == b"y" * 300_000
