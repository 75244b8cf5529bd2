"""Image files built in memory for the cover tests, and readers for what was stored.

Everything is made here from Pillow or from bytes literals, so the tests need no binary
fixtures and each hostile file's construction is visible next to its expected outcome.
"""

import io
import struct
import zlib

from PIL import ExifTags, Image, ImageCms

SCRIPT = b"<script>alert(document.cookie)</script>"
PHP = b"<?php system($_GET['cmd']); ?>"


def encode(image, fmt, **options):
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def solid(size=(120, 180), color=(200, 30, 30), mode="RGB"):
    return Image.new(mode, size, color)


def photo(size=(160, 240), sigma=40):
    """Photo-like pixels (noise over gradients), so that JPEG data is not trivially small."""
    noise = Image.effect_noise(size, sigma)
    red = Image.linear_gradient("L").resize(size)
    green = Image.linear_gradient("L").rotate(90).resize(size)
    blue = Image.blend(noise, Image.radial_gradient("L").resize(size), 0.5)
    return Image.merge("RGB", (Image.blend(red, noise, 0.3), Image.blend(green, noise, 0.3), blue))


def jpeg(image=None, **options):
    return encode(image or photo(), "JPEG", **options)


def two_halves(size, top, bottom):
    """An image whose top half is `top` and bottom half is `bottom`: shows which way is up."""
    image = Image.new("RGB", size, bottom)
    image.paste(top, (0, 0, size[0], size[1] // 2))
    return image


def gps_exif():
    """EXIF with a camera make, the picture's orientation tag and a GPS position."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneCo"
    exif[ExifTags.Base.Model] = "Secret Model <script>"
    exif[ExifTags.Base.Artist] = "Alice Example"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (51.0, 30.0, 26.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (0.0, 7.0, 39.0)
    return exif


def orientation_exif(orientation):
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    return exif


XMP = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="51,30.4N"/>'
    b'</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
)


def iptc_segment(text):
    """A Photoshop APP13 (IPTC) segment carrying a caption, inserted after SOI by hand."""
    record = b"\x1c\x02\x78" + struct.pack(">H", len(text)) + text  # 2:120 Caption
    resource = b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(record)) + record
    payload = b"Photoshop 3.0\x00" + resource
    return b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload


def with_segment_after_soi(jpeg_data, segment):
    assert jpeg_data[:2] == b"\xff\xd8"
    return jpeg_data[:2] + segment + jpeg_data[2:]


def png(width, height, *, bit_depth=8, color_type=2, rows=None, extra_chunks=()):
    """A PNG written chunk by chunk, so headers can declare what no encoder would write."""
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[color_type]
    if rows is None:
        row = b"\x00" + bytes(width * channels * bit_depth // 8)
        rows = row * height
    chunks = [
        _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)),
        *(_png_chunk(kind, data) for kind, data in extra_chunks),
        _png_chunk(b"IDAT", zlib.compress(rows, 9)),
        _png_chunk(b"IEND", b""),
    ]
    return b"\x89PNG\r\n\x1a\n" + b"".join(chunks)


def png_declaring(width, height):
    """A tiny PNG whose header declares width x height pixels; its data is one short row."""
    return b"\x89PNG\r\n\x1a\n" + b"".join(
        [
            _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)),
            _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64)),
            _png_chunk(b"IEND", b""),
        ]
    )


def _png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def sixteen_bit_rgb_png(size=(100, 150), color=(60000, 30000, 5000)):
    width, height = size
    pixel = struct.pack(">HHH", *color)
    return png(width, height, bit_depth=16, color_type=2, rows=(b"\x00" + pixel * width) * height)


def animated(fmt, colors=((220, 20, 20), (20, 20, 220), (20, 220, 20)), size=(100, 150)):
    frames = [Image.new("RGB", size, color) for color in colors]
    return encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)


def swapped_primaries_profile():
    """An RGB ICC profile whose red and blue primaries are swapped (made from Pillow's sRGB).

    A pixel stored as pure red under this profile means pure blue: converting to sRGB, as
    the pipeline should, turns it blue; ignoring the profile leaves it red.
    """
    profile = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    count = struct.unpack(">I", profile[128:132])[0]
    entries = {}
    for index in range(count):
        start = 132 + 12 * index
        entries[bytes(profile[start : start + 4])] = start
    red, blue = entries[b"rXYZ"], entries[b"bXYZ"]
    profile[red + 4 : red + 12], profile[blue + 4 : blue + 12] = (
        profile[blue + 4 : blue + 12],
        profile[red + 4 : red + 12],
    )
    # Its description must not claim to be sRGB, or it is (rightly) taken as sRGB.
    return bytes(profile).replace(b"sRGB", b"swap").replace("sRGB".encode("utf-16-be"), "swap".encode("utf-16-be"))


def srgb_profile():
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


# --- Readers for what was stored ---------------------------------------------------------------


def jpeg_markers(data):
    """The marker bytes of a JPEG's segments up to the image data (0xE1 = APP1/EXIF, ...)."""
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    markers, position = [], 2
    while position < len(data):
        assert data[position] == 0xFF
        marker = data[position + 1]
        markers.append(marker)
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            break
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        position += 2 + length
    return markers


def png_chunk_types(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    kinds, position = [], 8
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kinds.append(data[position + 4 : position + 8].decode("latin-1"))
        position += 12 + length
    return kinds, position


def webp_chunk_types(data):
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP", "not a WebP"
    (riff_size,) = struct.unpack("<I", data[4:8])
    kinds, position = [], 12
    while position < 8 + riff_size:
        kind = data[position : position + 4].decode("latin-1")
        (length,) = struct.unpack("<I", data[position + 4 : position + 8])
        kinds.append(kind)
        position += 8 + length + (length & 1)
    return kinds, position


# What a freshly written file may contain, per format: pixels and their framing only.
JPEG_ALLOWED_MARKERS = {0xE0, 0xDB, 0xC4, 0xC0, 0xC1, 0xC2, 0xDD, 0xDA}  # JFIF, tables, frame, scan
PNG_ALLOWED_CHUNKS = {"IHDR", "PLTE", "tRNS", "IDAT", "IEND"}
WEBP_ALLOWED_CHUNKS = {"VP8 ", "VP8L", "VP8X", "ALPH"}


def assert_clean_file(data, fmt):
    """The stored bytes are a fresh file of `fmt`: no metadata of any kind, nothing appended."""
    assert SCRIPT not in data and b"<script" not in data.lower()
    assert b"<?php" not in data and b"Exif\x00\x00" not in data
    assert b"xpacket" not in data and b"Photoshop" not in data
    if fmt == "JPEG":
        assert set(jpeg_markers(data)) <= JPEG_ALLOWED_MARKERS
        assert data.endswith(b"\xff\xd9") and data.count(b"\xff\xd9") >= 1
    elif fmt == "PNG":
        kinds, end = png_chunk_types(data)
        assert set(kinds) <= PNG_ALLOWED_CHUNKS and kinds[-1] == "IEND"
        assert end == len(data), "bytes after IEND"
    elif fmt == "WEBP":
        kinds, end = webp_chunk_types(data)
        assert set(kinds) <= WEBP_ALLOWED_CHUNKS
        assert end == len(data), "bytes after the RIFF container"
    else:
        raise AssertionError(f"unexpected format {fmt}")
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == fmt
        assert image.mode in ("L", "RGB", "RGBA")
        assert not image.getexif()
        assert "icc_profile" not in image.info and "xmp" not in image.info and "comment" not in image.info
        assert getattr(image, "n_frames", 1) == 1
        image.load()
