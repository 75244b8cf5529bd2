"""Where a rendered (signed-in) page spends its time, in-process, without a load generator.

    DATABASE_URL=... DJANGO_MEDIA_ROOT=... .venv/bin/python bench/profile_page.py /books/ [/books/?page=400 ...]

Use it on a catalogue filled by seed_demo. Prints milliseconds per request for the bare
template and each page (signed in, so never from the page cache), then the share of each
request spent in template rendering, the card includes, filters, URL reversing and SQL.
"""

import cProfile
import inspect
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-profile-only")
os.environ["DJANGO_READ_DOT_ENV"] = "false"

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user  # noqa: E402
from django.db.backends.utils import CursorWrapper  # noqa: E402
from django.template.base import Template  # noqa: E402
from django.template.defaultfilters import floatformat  # noqa: E402
from django.template.loader_tags import IncludeNode  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils.formats import number_format  # noqa: E402

from accounts.models import CustomUser  # noqa: E402

ROUNDS = int(os.environ.get("PROFILE_ROUNDS", "30"))


def _where(function):
    code = inspect.unwrap(function).__code__
    return code.co_filename, code.co_firstlineno


# Shares of a request worth knowing (cumulative, so nested calls are inside their callers).
WATCHED = {
    "template rendering": _where(Template.render),
    "  {% include %} (book cards)": _where(IncludeNode.render),
    "  floatformat filter": _where(floatformat),
    "  reverse() (URLs)": _where(reverse),
    "  number localisation": _where(number_format),
    "SQL (execute)": _where(CursorWrapper.execute),
    "session + user": _where(get_user),
}


def per_request_ms(client, path, rounds=ROUNDS):
    for _ in range(3):
        client.get(path)
    started = time.perf_counter()
    for _ in range(rounds):
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return (time.perf_counter() - started) / rounds * 1000


def main(paths):
    member, _ = CustomUser.objects.get_or_create(username="bench_profile")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(member)
    template_ms = per_request_ms(client, "/bench/template/")
    print(f"{'bare template':40} {template_ms:7.2f} ms")
    for path in paths:
        ms = per_request_ms(client, path)
        print(f"{path:40} {ms:7.2f} ms  ratio {template_ms / ms:.2f}")
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(ROUNDS):
            client.get(path)
        profiler.disable()
        stats = pstats.Stats(profiler).stats
        total = max(entry[3] for entry in stats.values())  # the outermost call's cumulative time
        for label, (module_file, line) in WATCHED.items():
            cumulative = sum(e[3] for (f, n, _), e in stats.items() if f == module_file and n == line)
            print(f"    {100 * cumulative / total:5.1f}%  {label}")
        own = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)[:8]
        print(
            "    top own time:", ", ".join(f"{fn}({Path(f).name}) {100 * e[2] / total:.1f}%" for (f, _, fn), e in own)
        )


if __name__ == "__main__":
    main(sys.argv[1:] or ["/books/"])
