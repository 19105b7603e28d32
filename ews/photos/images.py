"""Photos on receipt (pure: bytes in, bytes out): verify the image, clean its metadata, thumbnail.

What comes in is decoded with Pillow, whatever the client called it: only JPEG, PNG and WebP are
taken. The stored image is re-encoded from the pixels, with the orientation applied, so nothing of
the original's metadata (EXIF, XMP, comments, ICC profile) survives unless it is on the allow-list
below: with the monitor's permission, the time and GPS position; otherwise nothing. Device and
owner fields (Make, Model, serial numbers, Artist, Copyright, Software, owner name, MakerNote,
UserComment, unique ids) are never on the list, so they are always removed.
"""

from __future__ import annotations

import hashlib
import io
import logging
import warnings
from dataclasses import dataclass
from typing import Any

from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

# Pillow logs the EXIF values it reads (owner names, serial numbers) at DEBUG: never let them out.
logging.getLogger("PIL").setLevel(logging.INFO)

# Pillow format -> (media type, file extension).
FORMATS: dict[str, tuple[str, str]] = {
    "JPEG": ("image/jpeg", ".jpg"),
    "PNG": ("image/png", ".png"),
    "WEBP": ("image/webp", ".webp"),
}
EXTENSIONS = {media_type: extension for media_type, extension in FORMATS.values()}
THUMBNAIL_PX = 320
JPEG_QUALITY = 90
THUMBNAIL_QUALITY = 80

# Kept only with the monitor's permission ("keep_time_and_place"): when and where, nothing else.
TIME_TAGS_IFD0 = frozenset({ExifTags.Base.DateTime})
TIME_TAGS_EXIF = frozenset(
    {
        ExifTags.Base.DateTimeOriginal,
        ExifTags.Base.DateTimeDigitized,
        ExifTags.Base.OffsetTime,
        ExifTags.Base.OffsetTimeOriginal,
        ExifTags.Base.OffsetTimeDigitized,
        ExifTags.Base.SubsecTime,
        ExifTags.Base.SubsecTimeOriginal,
        ExifTags.Base.SubsecTimeDigitized,
    }
)
PLACE_TAGS_GPS = frozenset(
    {
        ExifTags.GPS.GPSVersionID,
        ExifTags.GPS.GPSLatitudeRef,
        ExifTags.GPS.GPSLatitude,
        ExifTags.GPS.GPSLongitudeRef,
        ExifTags.GPS.GPSLongitude,
        ExifTags.GPS.GPSAltitudeRef,
        ExifTags.GPS.GPSAltitude,
        ExifTags.GPS.GPSTimeStamp,
        ExifTags.GPS.GPSDateStamp,
    }
)


class ImageRefused(ValueError):
    """Bytes that are not taken as a photo: ``status`` (413, 415 or 422) and a Spanish-first
    message for the field that carried them."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class CleanedPhoto:
    """A received photo: the hash of the original bytes, and the cleaned image and thumbnail."""

    sha256: str  # of the bytes received (chain of custody)
    media_type: str
    image: bytes  # cleaned, orientation applied
    image_sha256: str
    thumbnail: bytes  # JPEG, no metadata at all
    thumbnail_sha256: str
    width: int
    height: int


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def too_large(limit: int) -> ImageRefused:
    return ImageRefused(
        413,
        f"la foto supera el límite de {limit:,} bytes; envíela más pequeña / the photo exceeds "
        f"the {limit:,}-byte limit; send a smaller one",
    )


def clean_photo(data: bytes, *, keep_time_and_place: bool, max_pixels: int) -> CleanedPhoto:
    """Verify ``data`` is a JPEG, PNG or WebP image and return it cleaned, with a thumbnail.

    Raises ``ImageRefused`` (415 not an image or another type, 422 damaged or truncated, 413
    more than ``max_pixels`` pixels). The time and GPS position are kept only when
    ``keep_time_and_place``; every other metadata field is dropped."""
    image = _decode(data, max_pixels=max_pixels)
    media_type, _extension = FORMATS[str(image.format)]
    exif = _allowed_exif(image.getexif(), keep_time_and_place=keep_time_and_place)
    try:
        upright = ImageOps.exif_transpose(image)
        if upright.mode not in ("L", "LA", "RGB", "RGBA"):  # palettes, 1-bit, 16-bit, CMYK
            upright = upright.convert("RGBA" if _has_alpha(upright) else "RGB")
        upright.info = {}  # XMP, comments, ICC profile, PNG text: none of it is copied
        cleaned = _encode(upright, str(image.format), exif)
        thumbnail = _thumbnail(upright)
    except (OSError, ValueError):
        raise _damaged() from None
    return CleanedPhoto(
        sha256=sha256_of(data),
        media_type=media_type,
        image=cleaned,
        image_sha256=sha256_of(cleaned),
        thumbnail=thumbnail,
        thumbnail_sha256=sha256_of(thumbnail),
        width=upright.width,
        height=upright.height,
    )


def _decode(data: bytes, *, max_pixels: int) -> Image.Image:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
        except UnidentifiedImageError:
            raise ImageRefused(
                415,
                "el archivo no es una imagen JPEG, PNG ni WebP / the file is not a JPEG, PNG or "
                "WebP image",
            ) from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels(max_pixels) from None
        except (OSError, SyntaxError, ValueError):
            raise _damaged() from None
        if image.format not in FORMATS:
            raise ImageRefused(
                415,
                f"imagen {image.format} no admitida; envíe JPEG, PNG o WebP / {image.format} "
                "images are not accepted; send JPEG, PNG or WebP",
            )
        if image.width * image.height > max_pixels:
            raise _too_many_pixels(max_pixels)
        try:
            image.load()
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombWarning):
            raise _damaged() from None
    return image


def _damaged() -> ImageRefused:
    return ImageRefused(
        422,
        "la imagen está dañada o incompleta; vuelva a enviarla / the image is damaged or "
        "truncated; send it again",
    )


def _too_many_pixels(max_pixels: int) -> ImageRefused:
    return ImageRefused(
        413,
        f"la imagen tiene más de {max_pixels:,} píxeles / the image has more than "
        f"{max_pixels:,} pixels",
    )


def _allowed_exif(exif: Image.Exif, *, keep_time_and_place: bool) -> Image.Exif:
    """A new EXIF block with the allow-listed time and GPS tags, or empty."""
    clean = Image.Exif()
    if not keep_time_and_place:
        return clean
    for tag in TIME_TAGS_IFD0 & set(exif):
        clean[tag] = exif[tag]
    times = _picked(exif.get_ifd(ExifTags.IFD.Exif), TIME_TAGS_EXIF)
    if times:
        clean[ExifTags.IFD.Exif] = times
    place = _picked(exif.get_ifd(ExifTags.IFD.GPSInfo), PLACE_TAGS_GPS)
    if place:
        clean[ExifTags.IFD.GPSInfo] = place
    return clean


def _picked(ifd: dict[int, Any], allowed: frozenset[int]) -> dict[int, Any]:
    return {tag: value for tag, value in ifd.items() if tag in allowed}


def _encode(image: Image.Image, format_: str, exif: Image.Exif) -> bytes:
    options: dict[str, Any] = {}
    if len(exif):
        options["exif"] = exif.tobytes()
    if format_ == "JPEG":
        image = image.convert("L" if image.mode in ("L", "1") else "RGB")
        options["quality"] = JPEG_QUALITY
    elif format_ == "WEBP":
        image = image.convert("RGBA" if _has_alpha(image) else "RGB")
        options["quality"] = JPEG_QUALITY
    buffer = io.BytesIO()
    image.save(buffer, format=format_, **options)
    return buffer.getvalue()


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


def _thumbnail(image: Image.Image) -> bytes:
    small = image.copy()
    small.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
    if _has_alpha(small):
        background = Image.new("RGB", small.size, "white")
        background.paste(small.convert("RGBA"), mask=small.convert("RGBA").getchannel("A"))
        small = background
    buffer = io.BytesIO()
    small.convert("RGB").save(buffer, format="JPEG", quality=THUMBNAIL_QUALITY)
    return buffer.getvalue()
