"""Photos on receipt, without a database: every accepted kind of image comes out cleaned, upright
and with a thumbnail; what is not a JPEG, PNG or WebP is refused with the status to answer."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from ews.photos.images import ImageRefused, clean_photo, sha256_of
from tests.support.photos import read_exif


def encoded(mode: str, format: str, **options: object) -> bytes:
    image = Image.new(mode, (300, 200))
    if mode == "P":
        image.putpalette([0, 0, 0, 200, 30, 30] * 128)
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "media_type"),
    [
        (encoded("L", "JPEG"), "image/jpeg"),
        (encoded("CMYK", "JPEG"), "image/jpeg"),
        (encoded("P", "PNG", transparency=0), "image/png"),
        (encoded("LA", "PNG"), "image/png"),
        (encoded("RGBA", "WEBP"), "image/webp"),
        (encoded("RGB", "WEBP", lossless=True), "image/webp"),
    ],
)
def test_every_accepted_kind_comes_out_clean_with_a_thumbnail(data: bytes, media_type: str) -> None:
    photo = clean_photo(data, keep_time_and_place=True, max_pixels=1_000_000)
    assert photo.sha256 == sha256_of(data)
    assert photo.media_type == media_type
    assert (photo.width, photo.height) == (300, 200)
    assert Image.open(io.BytesIO(photo.image)).format == media_type.split("/")[1].upper()
    assert photo.image_sha256 == sha256_of(photo.image)
    thumbnail = Image.open(io.BytesIO(photo.thumbnail))
    assert thumbnail.format == "JPEG"
    assert max(thumbnail.size) <= 320
    assert read_exif(photo.image) == ({}, {}, {})


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"", 415),
        (b"hola, no soy una foto", 415),
        (encoded("RGB", "BMP"), 415),
        (encoded("RGB", "TIFF"), 415),
        (encoded("RGB", "PNG")[:80], 422),
        (encoded("RGB", "JPEG")[:300], 422),
    ],
)
def test_what_is_not_a_whole_jpeg_png_or_webp_is_refused(data: bytes, status: int) -> None:
    with pytest.raises(ImageRefused) as refused:
        clean_photo(data, keep_time_and_place=False, max_pixels=1_000_000)
    assert refused.value.status == status
    assert " / " in refused.value.message  # Spanish, then English


def test_too_many_pixels_is_refused_before_decoding() -> None:
    with pytest.raises(ImageRefused) as refused:
        clean_photo(encoded("RGB", "PNG"), keep_time_and_place=False, max_pixels=300 * 199)
    assert refused.value.status == 413
