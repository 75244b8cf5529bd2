"""`python manage.py test` as a tutorial reader runs it: a fresh copy, no environment at all."""

import shutil
import subprocess
import sys
from pathlib import Path

from django.conf import settings

TUTORIAL = Path(settings.BASE_DIR) / "books" / "tests" / "test_tutorial.py"


def fresh_copy(destination: Path) -> Path:
    """The files a clone would hold (plus new, not ignored ones), or the tree minus local state."""
    source = Path(settings.BASE_DIR)
    git_files = ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"]
    listed = subprocess.run(git_files, cwd=source, capture_output=True, check=False)  # noqa: S603, S607
    if listed.returncode == 0 and listed.stdout:
        for name in listed.stdout.decode().split("\0"):
            if name and (source / name).is_file():
                (destination / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source / name, destination / name)
    else:
        ignore = shutil.ignore_patterns(".venv", ".git", "media", "staticfiles", "db.sqlite3", ".env", "__pycache__")
        shutil.copytree(source, destination, ignore=ignore, dirs_exist_ok=True)
    return destination


def manage_test(tree: Path, *labels: str) -> subprocess.CompletedProcess:
    empty_environment = {"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin", "HOME": str(tree)}
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", "test", *labels],
        cwd=tree,
        env=empty_environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_manage_py_test_runs_a_dropped_in_tutorial_module_on_a_fresh_copy_with_no_environment(tmp_path):
    tree = fresh_copy(tmp_path / "clone")
    assert not (tree / ".env").exists() and not (tree / "staticfiles").exists()
    shutil.copy(TUTORIAL, tree / "books" / "tests_tutorial.py")  # as the acceptance suite drops it in

    dropped_in = manage_test(tree, "books.tests_tutorial")
    assert dropped_in.returncode == 0, dropped_in.stderr[-3000:]
    assert "Ran 10 tests" in dropped_in.stderr and "OK" in dropped_in.stderr

    everything = manage_test(tree)
    assert everything.returncode == 0, everything.stderr[-3000:]
    # The committed copy and the dropped-in one: Django TestCase classes found in the apps.
    assert "Ran 20 tests" in everything.stderr, everything.stderr[-3000:]
