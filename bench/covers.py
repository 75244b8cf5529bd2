"""Cover pipeline benchmark: time against Pillow's bare decode + re-encode, and peak memory.

    .venv/bin/python bench/covers.py            # or: make bench-covers

1. Makes a 12-megapixel photo-like JPEG in memory (noise over gradients, EXIF with GPS
   and a rotation, about the size a phone writes) and times, median of several runs:
   - the whole pipeline (`covers.process_cover`: size, libmagic, pixel cap, decode,
     orientation, scale-down, cover + thumbnail encode), and
   - Pillow's bare decode + re-encode of the same file with the same JPEG settings.
2. Measures peak memory in a fresh subprocess per input (ru_maxrss above the process's
   baseline after reading the file, and tracemalloc's peak of Python allocations) for the
   12 MP photo, the same photo made bigger on disk, larger images near the pixel cap, and
   two bombs. Memory follows the decoded pixels, never the file size.
"""

import argparse
import io
import json
import os
import resource
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_DEBUG", "true")  # only so settings load without a secret key
os.environ.setdefault("DJANGO_READ_DOT_ENV", "false")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.exceptions import ValidationError  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from PIL import ExifTags, Image  # noqa: E402

from covers import process_cover  # noqa: E402
from covers.pipeline import SAVE_OPTIONS  # noqa: E402

RUNS = 7


def photo(size):
    """Photo-like pixels: smooth gradients (sky, light falloff) with sensor-like noise."""
    horizontal = Image.linear_gradient("L").rotate(90).resize(size)
    vertical = Image.linear_gradient("L").resize(size)
    radial = Image.radial_gradient("L").resize(size)
    noise = Image.effect_noise(size, 48)
    channels = [
        Image.blend(Image.blend(vertical, radial, 0.4), noise, 0.18),
        Image.blend(Image.blend(horizontal, vertical, 0.5), noise, 0.18),
        Image.blend(Image.blend(radial, horizontal, 0.3), noise, 0.18),
    ]
    return Image.merge("RGB", channels)


def camera_exif():
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneCo"
    exif[ExifTags.Base.Model] = "Phone 12"
    exif[ExifTags.Base.Orientation] = 6  # held upright: stored sideways, as phones do
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (51.0, 30.0, 26.0)
    return exif.tobytes()


def jpeg(image, quality=90):
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, exif=camera_exif())
    return buffer.getvalue()


def png_of_zeros(width, height):
    row = b"\x00" + bytes(width)
    idat = zlib.compress(row * height, 9)
    return _png(width, height, idat)


def png_declaring(width, height):
    return _png(width, height, zlib.compress(bytes(64)))


def _png(width, height, idat):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def gradient_png(size):
    buffer = io.BytesIO()
    Image.linear_gradient("L").resize(size).convert("RGB").save(buffer, "PNG", compress_level=9)
    return buffer.getvalue()


# --- Timing -----------------------------------------------------------------------------


def run_pipeline(data):
    return process_cover(SimpleUploadedFile("photo.jpg", data, content_type="image/jpeg"))


def run_bare(data):
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", **SAVE_OPTIONS["JPEG"])
    return buffer.getvalue()


def median_seconds(functions, data, runs=RUNS):
    """Median wall and CPU time of each function, runs interleaved so load hits both alike.

    CPU time (this process only) is the steadier figure on a shared machine: it leaves out
    the time spent waiting for a core.
    """
    wall = {function: [] for function in functions}
    cpu = {function: [] for function in functions}
    for function in functions:
        function(data)  # warm-up: imports, libmagic's database, first allocations
    for _ in range(runs):
        for function in functions:
            start_wall, start_cpu = time.perf_counter(), time.process_time()
            function(data)
            cpu[function].append(time.process_time() - start_cpu)
            wall[function].append(time.perf_counter() - start_wall)
    return [(statistics.median(wall[function]), statistics.median(cpu[function])) for function in functions]


def profile_pipeline(data):
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    run_pipeline(data)
    profiler.disable()
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).sort_stats("tottime").print_stats(8)
    return stream.getvalue()


# --- Memory (one subprocess per input, so each peak is its own) ---------------------------


def status_kib(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise LookupError(field)


def reset_peak_rss():
    """Start the peak-RSS mark from now (Linux), so imports and reading the file don't count.

    ru_maxrss cannot do this: it also keeps the parent's size from before the fork.
    """
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
        return status_kib("VmRSS"), lambda: status_kib("VmHWM")
    except OSError:
        return resource.getrusage(
            resource.RUSAGE_SELF
        ).ru_maxrss, lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def measure_child(path):
    data = Path(path).read_bytes()
    run_pipeline(jpeg(Image.new("RGB", (128, 128))))  # loads libmagic's database and the codecs first
    baseline, peak = reset_peak_rss()
    tracemalloc.start()
    try:
        processed = run_pipeline(data)
        outcome = f"stored {processed.image.width}x{processed.image.height} {processed.image.format}"
    except ValidationError as error:
        outcome = f"refused: {error.messages[0]}"
    _, traced_peak = tracemalloc.get_traced_memory()
    print(json.dumps({"rss_kib": peak() - baseline, "traced": traced_peak, "outcome": outcome}))


def measure(path):
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, __file__, "--memory-of", str(path)], capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def pixels_of(data):
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.width * image.height
    except Image.DecompressionBombError as error:
        return int(str(error).split("(")[1].split(" ")[0])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--profile", action="store_true", help="print where the pipeline spends its time")
    parser.add_argument("--memory-of", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_of:
        measure_child(args.memory_of)
        return

    twelve = jpeg(photo((4000, 3000)))
    print(f"12 MP photo: 4000x3000 JPEG, {len(twelve) / 1e6:.2f} MB, EXIF with GPS and Orientation 6")
    print(f"JPEG settings for both: {SAVE_OPTIONS['JPEG']}; COVER_MAX_EDGE={settings.COVER_MAX_EDGE}")
    (bare_wall, bare_cpu), (pipeline_wall, pipeline_cpu) = median_seconds([run_bare, run_pipeline], twelve, args.runs)
    ratio = pipeline_cpu / bare_cpu
    print(f"{'median of ' + str(args.runs) + ' runs':38}{'wall':>9}{'CPU':>9}")
    print(f"{'bare Pillow decode + re-encode':38}{bare_wall * 1000:>6.0f} ms{bare_cpu * 1000:>6.0f} ms")
    print(f"{'whole cover pipeline':38}{pipeline_wall * 1000:>6.0f} ms{pipeline_cpu * 1000:>6.0f} ms")
    print(f"{'ratio pipeline / bare':38}{pipeline_wall / bare_wall:>8.2f}x{ratio:>8.2f}x  (aim <= 1.30x)")
    if args.profile or ratio > 1.3:
        print(profile_pipeline(twelve))

    inputs = {
        "12 MP photo (JPEG)": twelve,
        "same photo + 1.1 MB appended": twelve + bytes(1_100_000),
        "35 MP photo (JPEG, draft-decoded)": jpeg(photo((7000, 5000)), quality=50),
        "39 MP smooth image (PNG)": gradient_png((7200, 5400)),
        "52 MP deflate bomb (PNG)": png_of_zeros(8000, 6500),
        "900 MP declared (PNG)": png_declaring(30000, 30000),
    }
    print()
    print(f"{'peak memory, fresh process':38}{'file MB':>9}{'MP':>7}{'RSS MB':>9}{'traced MB':>11}  outcome")
    with tempfile.TemporaryDirectory() as directory:
        for label, data in inputs.items():
            path = Path(directory) / "input"
            path.write_bytes(data)
            result = measure(path)
            print(
                f"{label:38}{len(data) / 1e6:>9.2f}{pixels_of(data) / 1e6:>7.0f}"
                f"{result['rss_kib'] / 1024:>9.0f}{result['traced'] / 1e6:>11.1f}  {result['outcome']}"
            )
    print(f"\nPillow keeps 4 bytes per pixel (RGB too): at COVER_MAX_PIXELS={settings.COVER_MAX_PIXELS} the")
    print(f"decoded image is {settings.COVER_MAX_PIXELS * 4 / 1e6:.0f} MB, plus the resize's working copies.")


if __name__ == "__main__":
    main()
