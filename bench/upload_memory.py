"""Peak memory of one process handling 10 concurrent 40-megapixel cover uploads.

    .venv/bin/python bench/upload_memory.py            # or: make bench-upload-memory

Each case runs in a fresh subprocess: 10 threads call `covers.process_cover` at once on a
40 MP PNG (under the 5 MB cap: smooth gradients compress well), and the process reports its
peak RSS (VmHWM) and the same above its baseline after loading Django and the file.
"Unbounded" sets COVER_PROCESSING_CONCURRENCY to 10 (one slot per upload, as before the
bound); then the default (2) and 1. Prints figures; asserts nothing.
"""

import io
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UPLOADS = 10
SIZE = (6000, 6600)  # 39.6 MP, just under COVER_MAX_PIXELS (40 MP)

CHILD = """
import os, re, sys, threading, time
sys.path.insert(0, {root!r})
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_DEBUG", "true")
os.environ.setdefault("DJANGO_READ_DOT_ENV", "false")
import django
django.setup()
from django.core.files.uploadedfile import SimpleUploadedFile
from covers import process_cover
def high_water_kb():
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across exec.
    return int(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read()).group(1))
data = open({path!r}, "rb").read()
baseline = high_water_kb()
start = threading.Barrier({uploads})
errors = []
def one():
    start.wait()
    try:
        process_cover(SimpleUploadedFile("big.png", data))
    except Exception as exc:
        errors.append(repr(exc))
threads = [threading.Thread(target=one) for _ in range({uploads})]
began = time.monotonic()
for thread in threads: thread.start()
for thread in threads: thread.join()
elapsed = time.monotonic() - began
peak = high_water_kb()
import json
print(json.dumps({{"baseline_kb": baseline, "peak_kb": peak, "seconds": elapsed, "errors": errors}}))
"""


def make_upload(path):
    from PIL import Image

    horizontal = Image.linear_gradient("L").resize(SIZE)
    vertical = Image.linear_gradient("L").rotate(90).resize(SIZE)
    image = Image.merge("RGB", (horizontal, vertical, Image.blend(horizontal, vertical, 0.5)))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=9)
    path.write_bytes(buffer.getvalue())
    return len(buffer.getvalue())


def run(path, concurrency):
    env = {**os.environ, "COVER_PROCESSING_CONCURRENCY": str(concurrency), "COVER_PROCESSING_WAIT_SECONDS": "120"}
    result = subprocess.run(  # noqa: S603 - this interpreter, our own code
        [sys.executable, "-c", CHILD.format(root=str(ROOT), path=str(path), uploads=UPLOADS)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.png"
        size = make_upload(path)
        print(f"{UPLOADS} concurrent uploads of a {SIZE[0]}x{SIZE[1]} PNG ({SIZE[0] * SIZE[1] / 1e6:.1f} MP, "
              f"{size / 1e6:.1f} MB) in one process\n")  # fmt: skip
        print(f"{'decode slots':<24}{'peak RSS':>10}{'above baseline':>16}{'wall time':>11}  errors")
        for label, concurrency in (("10 (unbounded, before)", 10), ("2 (default)", 2), ("1", 1)):
            figures = run(path, concurrency)
            peak, above = figures["peak_kb"] / 1024, (figures["peak_kb"] - figures["baseline_kb"]) / 1024
            errors = len(figures["errors"])
            print(f"{label:<24}{peak:>8.0f} MB{above:>13.0f} MB{figures['seconds']:>10.1f}s  {errors}")


if __name__ == "__main__":
    main()
