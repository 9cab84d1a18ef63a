"""Turn one uploaded image into the exact file a network will accept.

For each target spec (keryx.library.specs): crop to an allowed aspect ratio around the user's
focal point, scale into the size limits, convert formats the network does not take (HEIC, AVIF,
TIFF, WebP, PNG with alpha where only JPEG is taken), compress under the byte cap, and write no
metadata at all (EXIF with GPS, XMP, comments): only the colour profile is kept.

Pure Python + Pillow, no Django. `adapt_many` decodes the source once (at the smallest scale
every target still needs, thanks to JPEG draft decoding) and derives each output from it, one
at a time, so memory holds one decoded image plus one output, never ten.
"""

from __future__ import annotations

import io
import math
import shutil
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO, Any

from PIL import Image, ImageOps, UnidentifiedImageError

from keryx.library.specs import ImageSpec

try:  # HEIC/HEIF from phones; optional, the rest works without it.
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF = True
except ImportError:  # pragma: no cover - depends on the install
    HEIF = False

# Anything larger is refused before decoding (a decompression bomb is small on disk).
MAX_SOURCE_PIXELS = 100_000_000
# Outputs made at once (each a resized frame in memory): the machines have two cores.
THREADS = 2
JPEG_QUALITIES = (88, 80, 72, 64)
WEBP_QUALITIES = (85, 75, 65)
# Info keys that say nothing about the person or the place: anything else means re-encoding.
SAFE_INFO = frozenset({
    "dpi", "icc_profile", "jfif", "jfif_version", "jfif_unit", "jfif_density", "progressive",
    "progression", "adobe", "adobe_transform", "gamma", "srgb", "chromaticity", "interlace",
    "aspect", "transparency", "loop", "duration", "background", "version", "extension",
})
MIME_BY_FORMAT = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp",
                  "GIF": "image/gif", "HEIF": "image/heic", "AVIF": "image/avif",
                  "TIFF": "image/tiff", "BMP": "image/bmp", "MPO": "image/jpeg"}
FORMAT_BY_MIME = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
EXTENSION = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif"}


class AdaptationRefused(Exception):
    """The source cannot become a file this network takes. `code` is stable, `message` plain
    English for people (the library translates by code), `params` fill the message."""

    def __init__(self, code: str, message: str, **params: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.params = params


@dataclass(frozen=True)
class Focal:
    """Where the subject is, as fractions of the width and height (0.5, 0.5 = the centre)."""

    x: float = 0.5
    y: float = 0.5


@dataclass(frozen=True)
class Adapted:
    network: str
    mime_type: str
    width: int
    height: int
    size: int
    # What was done, for the user: "cropped", "resized", "converted", "compressed", "stripped".
    steps: tuple[str, ...]
    passthrough: bool = False


@dataclass(frozen=True)
class _Source:
    mime: str
    width: int  # after EXIF orientation
    height: int
    animated: bool
    has_metadata: bool
    orientation: int
    size: int


# ---------------------------------------------------------------------------------------------
# Geometry: pure arithmetic, tested on its own.
# ---------------------------------------------------------------------------------------------


def aspect_limits(spec: ImageSpec) -> tuple[float | None, float | None]:
    """The declared aspect range, narrowed by size limits that cannot both hold otherwise
    (a 3×2000 strip cannot have a 250 px short side and a 4096 px long side)."""
    low, high = spec.min_aspect, spec.max_aspect
    bounds_low, bounds_high = [], []
    if spec.min_side and spec.max_side:
        bounds_low.append(spec.min_side / spec.max_side)
        bounds_high.append(spec.max_side / spec.min_side)
    if spec.min_width and spec.max_side:
        bounds_low.append(spec.min_width / spec.max_side)
    if bounds_low:
        low = max([low or 0.0, *bounds_low])
    if bounds_high:
        high = min([high or math.inf, *bounds_high])
    return low, high


def plan_size(width: int, height: int, spec: ImageSpec, shrink: float = 1.0
              ) -> tuple[tuple[float, float], tuple[int, int]]:
    """(crop size in source pixels, output size) for this spec. The crop is the largest box of
    an allowed aspect ratio; the output scales it into every size limit, times `shrink` (< 1
    when the byte cap needs fewer pixels)."""
    min_aspect, max_aspect = aspect_limits(spec)
    crop_w, crop_h = float(width), float(height)
    ratio = width / height
    if max_aspect is not None and ratio > max_aspect:
        crop_w = height * max_aspect
    elif min_aspect is not None and ratio < min_aspect:
        crop_h = width / min_aspect
    scale = 1.0
    if spec.max_side:
        scale = min(scale, spec.max_side / max(crop_w, crop_h))
    if spec.max_width:
        scale = min(scale, spec.max_width / crop_w)
    if spec.max_pixels:
        scale = min(scale, math.sqrt(spec.max_pixels / (crop_w * crop_h)))
    if spec.max_w_plus_h:
        scale = min(scale, spec.max_w_plus_h / (crop_w + crop_h))
    scale *= shrink
    floor = 0.0
    if spec.min_width:
        floor = max(floor, spec.min_width / crop_w)
    if spec.min_side:
        floor = max(floor, spec.min_side / min(crop_w, crop_h))
    scale = max(scale, floor)
    out_w = max(1, math.floor(crop_w * scale + 1e-6))
    out_h = max(1, math.floor(crop_h * scale + 1e-6))
    if floor and scale == floor:
        # Upscaled to a minimum: round up so the minimum is really met.
        out_w, out_h = math.ceil(crop_w * scale - 1e-6), math.ceil(crop_h * scale - 1e-6)
    # Rounding may nudge the ratio past a limit by a hair: trim one side back inside.
    if max_aspect is not None and out_w / out_h > max_aspect:
        out_w = max(1, math.floor(out_h * max_aspect))
    if min_aspect is not None and out_w / out_h < min_aspect:
        out_h = max(1, math.floor(out_w / min_aspect))
    return (crop_w, crop_h), (out_w, out_h)


def crop_box(width: int, height: int, crop: tuple[float, float], focal: Focal
             ) -> tuple[float, float, float, float]:
    """The crop of this size centred on the focal point, slid back inside the image."""
    crop_w, crop_h = crop
    fx = min(max(focal.x, 0.0), 1.0) * width
    fy = min(max(focal.y, 0.0), 1.0) * height
    left = min(max(fx - crop_w / 2, 0.0), width - crop_w)
    top = min(max(fy - crop_h / 2, 0.0), height - crop_h)
    return (left, top, left + crop_w, top + crop_h)


# ---------------------------------------------------------------------------------------------
# Reading the source safely.
# ---------------------------------------------------------------------------------------------


def _open(path: str) -> Image.Image:
    try:
        image = Image.open(path)
    except FileNotFoundError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError,
            ValueError) as exc:
        if isinstance(exc, Image.DecompressionBombError):
            raise AdaptationRefused("too_many_pixels", "The image has too many pixels to be "
                                    "processed safely.") from exc
        raise AdaptationRefused("not_an_image", "The file is not an image Keryx can read."
                                ) from exc
    width, height = image.size
    if width < 1 or height < 1:
        image.close()
        raise AdaptationRefused("not_an_image", "The file is not an image Keryx can read.")
    if width * height > MAX_SOURCE_PIXELS:
        image.close()
        raise AdaptationRefused(
            "too_many_pixels",
            "The image is %(width)s×%(height)s: too many pixels to be processed safely.",
            width=width, height=height,
        )
    return image


def inspect(path: str, size: int) -> tuple[Image.Image, _Source]:
    """Open (header only) and describe the source. The caller closes the image."""
    if size <= 0:
        raise AdaptationRefused("empty", "The file is empty.")
    image = _open(path)
    try:
        exif = image.getexif()
    except Exception:  # a broken EXIF block is metadata we drop anyway
        exif = Image.Exif()
    orientation = int(exif.get(0x0112, 1) or 1)
    width, height = image.size
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    metadata = bool(len(exif)) or any(k not in SAFE_INFO for k in image.info)
    return image, _Source(
        mime=MIME_BY_FORMAT.get(image.format or "", f"image/{(image.format or '').lower()}"),
        width=width, height=height, animated=bool(getattr(image, "is_animated", False)),
        has_metadata=metadata, orientation=orientation, size=size,
    )


def _has_alpha(image: Image.Image) -> bool:
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        alpha = image.getchannel("A")
        return alpha.getextrema()[0] < 255
    return image.mode == "P" and "transparency" in image.info


def _normalise(image: Image.Image) -> Image.Image:
    """RGB, or RGBA when the image really uses transparency."""
    if _has_alpha(image):
        return image if image.mode == "RGBA" else image.convert("RGBA")
    return image if image.mode == "RGB" else image.convert("RGB")


# ---------------------------------------------------------------------------------------------
# Choosing the output and encoding it under the cap.
# ---------------------------------------------------------------------------------------------


def output_mime(source_mime: str, alpha: bool, spec: ImageSpec) -> str:
    """Keep the source's format where the network takes it; else a format that keeps
    transparency if there is any; else JPEG."""
    if source_mime in FORMAT_BY_MIME and source_mime in spec.types:
        return source_mime
    order = ("image/png", "image/webp", "image/jpeg") if alpha else (
        "image/jpeg", "image/png", "image/webp")
    for mime in order:
        if mime in spec.types:
            return mime
    raise AdaptationRefused("no_format", "This network takes no still image format Keryx "
                            "can write.")


def _flatten(image: Image.Image) -> Image.Image:
    """Transparent pixels onto white, for formats without alpha."""
    if image.mode != "RGBA":
        return image
    base = Image.new("RGB", image.size, (255, 255, 255))
    base.paste(image, mask=image.getchannel("A"))
    return base


class _Encoder:
    """Encodes frames, remembering the last results: networks with the same limits get the
    same output, and a 12-megapixel JPEG is worth encoding once, not ten times. Holds encoded
    bytes (each under some network's cap), never decoded images."""

    def __init__(self, keep: int = 8) -> None:
        self.keep = keep
        self.memo: dict[tuple, bytes] = {}
        self.lock = threading.Lock()

    def __call__(self, frame_key: tuple, image: Image.Image, mime: str, quality: int,
                 icc: bytes | None) -> bytes:
        key = (frame_key, mime, quality)
        with self.lock:
            data = self.memo.get(key)
        if data is None:
            data = _encode(image, mime, quality, icc)
            with self.lock:
                if len(self.memo) >= self.keep:
                    self.memo.pop(next(iter(self.memo)))
                self.memo[key] = data
        return data


def _encode(image: Image.Image, mime: str, quality: int, icc: bytes | None) -> bytes:
    buffer = io.BytesIO()
    options: dict[str, Any] = {}
    if icc:
        options["icc_profile"] = icc
    if mime == "image/jpeg":
        _flatten(image).save(buffer, "JPEG", quality=quality, **options)
    elif mime == "image/webp":
        image.save(buffer, "WEBP", quality=quality, method=4, **options)
    else:
        image.save(buffer, "PNG", compress_level=6, **options)
    return buffer.getvalue()


def _fit_bytes(encoder: _Encoder, frame_key: tuple, image: Image.Image, mime: str,
               spec: ImageSpec, icc: bytes | None, alpha: bool) -> tuple[bytes, str, bool]:
    """Encode under the byte cap trying qualities first; (data, mime, compressed). Returns the
    smallest attempt when none fits (the caller shrinks the pixels and tries again)."""
    qualities: Iterable[int] = {"image/jpeg": JPEG_QUALITIES,
                                "image/webp": WEBP_QUALITIES}.get(mime, (0,))
    best = b""
    for index, quality in enumerate(qualities):
        data = encoder(frame_key, image, mime, quality, icc)
        if not best or len(data) < len(best):
            best = data
        if len(data) <= spec.max_bytes:
            return data, mime, index > 0
    if mime == "image/png" and not alpha and "image/jpeg" in spec.types:
        # A photo saved as PNG: JPEG is what makes it fit, and it has nothing to lose.
        return _fit_bytes(encoder, frame_key, image, "image/jpeg", spec, icc, alpha)
    return best, mime, True


# ---------------------------------------------------------------------------------------------
# The adapter.
# ---------------------------------------------------------------------------------------------

Sink = Callable[[ImageSpec], IO[bytes]]


def adapt_many(path: str, size: int, specs: list[ImageSpec], focal: Focal, sink: Sink
               ) -> dict[str, Adapted | AdaptationRefused]:
    """Adapt one source for each spec. `sink(spec)` gives the file to write that output into.

    Returns, per network, what was written or why not. Never raises for bad input (corrupt,
    empty, bomb, animated where a still is wanted): that is a refusal per network."""
    results: dict[str, Adapted | AdaptationRefused] = {}
    try:
        image, source = inspect(path, size)
    except AdaptationRefused as refusal:
        return {spec.network: refusal for spec in specs}
    with image:
        stills: list[ImageSpec] = []
        for spec in specs:
            if source.animated:
                try:
                    results[spec.network] = _animated(path, source, spec, sink)
                except AdaptationRefused as refusal:
                    results[spec.network] = refusal
            else:
                stills.append(spec)
        if not stills:
            return results
        plans = {s.network: plan_size(source.width, source.height, s) for s in stills}
        # Decode once, at the smallest scale that still serves the largest output.
        needed = max(max(out[0] / crop[0], out[1] / crop[1]) for crop, out in plans.values())
        try:
            decoded, factor = _decode(image, source, needed)
        except AdaptationRefused as refusal:
            for spec in stills:
                results[spec.network] = refusal
            return results
        with decoded:
            icc = None if image.mode == "CMYK" else image.info.get("icc_profile")
            alpha = decoded.mode == "RGBA"
            encoder = _Encoder()

            def run(group: list[ImageSpec]) -> None:
                for spec in group:
                    try:
                        results[spec.network] = _still(
                            path, decoded, factor, source, spec, focal, icc, alpha, sink, encoder)
                    except AdaptationRefused as refusal:
                        results[spec.network] = refusal

            # Specs with the same output geometry share encodes, so they stay in one group;
            # groups run on two threads (Pillow releases the GIL while it resizes and encodes),
            # so at most two frames exist at once next to the decoded source.
            groups: dict[tuple, list[ImageSpec]] = {}
            for spec in stills:
                groups.setdefault(plans[spec.network], []).append(spec)
            if len(groups) == 1 or THREADS < 2:
                for group in groups.values():
                    run(group)
            else:
                with ThreadPoolExecutor(max_workers=THREADS) as pool:
                    list(pool.map(run, groups.values()))
    return results


def _decode(image: Image.Image, source: _Source, needed: float
            ) -> tuple[Image.Image, float]:
    """The whole source, oriented and normalised; `factor` = decoded / original scale."""
    try:
        if image.format == "JPEG" and needed < 1:
            raw_w, raw_h = image.size
            image.draft("RGB", (math.ceil(raw_w * needed), math.ceil(raw_h * needed)))
        image.load()
        oriented = ImageOps.exif_transpose(image) if source.orientation != 1 else image
        decoded = _normalise(oriented)
        if decoded is image:
            decoded = image.copy()  # the caller closes both; never the same object twice
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise AdaptationRefused("corrupt", "The image is damaged or truncated and cannot be "
                                "read.") from exc
    return decoded, decoded.width / source.width


def _still(path: str, decoded: Image.Image, factor: float, source: _Source, spec: ImageSpec,
           focal: Focal, icc: bytes | None, alpha: bool, sink: Sink, encoder: _Encoder
           ) -> Adapted:
    mime = output_mime(source.mime, alpha, spec)
    crop, out = plan_size(source.width, source.height, spec)
    steps: list[str] = []
    if out == (source.width, source.height) and mime == source.mime and not source.has_metadata \
            and source.orientation == 1 and source.size <= spec.max_bytes:
        # Already right, and carries nothing to strip: send the very bytes the user uploaded.
        with open(path, "rb") as handle:
            shutil.copyfileobj(handle, sink(spec))
        return Adapted(spec.network, mime, out[0], out[1], source.size, (), passthrough=True)
    if crop != (float(source.width), float(source.height)):
        steps.append("cropped")
    if mime != source.mime:
        steps.append("converted")
    if source.has_metadata:
        steps.append("stripped")
    shrink = 1.0
    for _attempt in range(8):
        box = tuple(v * factor for v in crop_box(source.width, source.height, crop, focal))
        whole = box == (0.0, 0.0, float(decoded.width), float(decoded.height))
        if whole and out == decoded.size:
            frame = decoded  # nothing to crop or scale
        else:
            # Bicubic after an integer pre-reduction: close to Lanczos at a third of the time.
            frame = decoded.resize(out, Image.Resampling.BICUBIC, box=box, reducing_gap=2.0)
        try:
            data, written, compressed = _fit_bytes(
                encoder, (out, box), frame, mime, spec, icc, alpha)
        finally:
            if frame is not decoded:
                frame.close()
        if len(data) <= spec.max_bytes:
            if out != (round(crop[0]), round(crop[1])):
                steps.append("resized")
            if compressed:
                steps.append("compressed")
            if written != mime and "converted" not in steps:
                steps.append("converted")
            problems = spec.problems(out[0], out[1], len(data), written)
            if problems:  # the arithmetic above promises this never happens
                raise AdaptationRefused("no_fit", "Keryx could not fit the image to this "
                                        "network's limits (%(detail)s).",
                                        detail="; ".join(problems))
            sink(spec).write(data)
            return Adapted(spec.network, written, out[0], out[1], len(data), tuple(steps))
        # Pixels scale bytes roughly linearly: aim a little under the cap.
        shrink *= max(0.3, min(0.9, math.sqrt(spec.max_bytes / len(data)) * 0.92))
        crop, new_out = plan_size(source.width, source.height, spec, shrink)
        if new_out == out or (spec.min_width and new_out[0] <= spec.min_width
                              and out[0] <= spec.min_width):
            break
        out = new_out
    raise AdaptationRefused(
        "too_large", "Keryx could not compress the image under %(limit)s bytes.",
        limit=spec.max_bytes,
    )


def _animated(path: str, source: _Source, spec: ImageSpec, sink: Sink) -> Adapted:
    """Animations are sent unchanged where the network shows them, and refused elsewhere:
    silently posting the first frame would not be what the author chose."""
    cap = spec.animated_max_bytes or spec.max_bytes
    if not spec.animated or source.mime not in spec.types:
        raise AdaptationRefused(
            "animated", "The image is animated; this network takes only still images.")
    problems = spec.problems(source.width, source.height, min(source.size, spec.max_bytes),
                             source.mime)
    if source.size > cap or problems:
        raise AdaptationRefused(
            "animated_too_large", "The animation does not fit this network's limits and Keryx "
            "does not re-encode animations.")
    with open(path, "rb") as handle:
        shutil.copyfileobj(handle, sink(spec))
    return Adapted(spec.network, source.mime, source.width, source.height, source.size, (),
                   passthrough=True)


def extension(mime: str) -> str:
    return EXTENSION.get(mime, "bin")
