"""The image adapter on its own (no database): crops, formats, caps, metadata, bad input, and
the property that every output meets its network's limits and passes the provider's validate."""

from __future__ import annotations

import io
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from keryx.library import adapt
from keryx.library.specs import ImageSpec, spec_for
from keryx.networks.base import MediaItem, ProviderContext, PublishRequest
from keryx.networks.registry import get_provider_class, names

IMAGE_NETWORKS = [n for n in names() if spec_for(n) is not None]


def write(tmp_path, name: str, image: Image.Image, **options) -> str:
    path = str(tmp_path / name)
    image.save(path, **options)
    return path


CENTRE = adapt.Focal()


def run(path: str, specs: list[ImageSpec], focal: adapt.Focal = CENTRE):
    outputs: dict[str, io.BytesIO] = {}

    def sink(spec):
        outputs[spec.network] = io.BytesIO()
        return outputs[spec.network]

    results = adapt.adapt_many(path, os.path.getsize(path), specs, focal, sink)
    return results, {k: v.getvalue() for k, v in outputs.items()}


def noisy(width: int, height: int, mode: str = "RGB") -> Image.Image:
    """Noise compresses badly, so byte caps really bite."""
    base = Image.effect_noise((width, height), 80).convert("L")
    if mode == "RGBA":
        return Image.merge("RGBA", (base, base.rotate(90, expand=False), base,
                                    Image.linear_gradient("L").resize((width, height))))
    return Image.merge("RGB", (base, base.transpose(Image.Transpose.FLIP_LEFT_RIGHT), base))


def test_instagram_crop_keeps_the_focal_point(tmp_path):
    # A wide 3:1 image with a red block at the far right: centred crops would lose it.
    image = Image.new("RGB", (3000, 1000), "white")
    image.paste((255, 0, 0), (2700, 400, 2900, 600))
    path = write(tmp_path, "wide.png", image)
    spec = spec_for("instagram")
    results, data = run(path, [spec], adapt.Focal(0.93, 0.5))
    out = results["instagram"]
    assert out.mime_type == "image/jpeg"
    assert abs(out.width / out.height - 1.91) < 0.01 and out.width <= 1440
    assert "cropped" in out.steps and "converted" in out.steps
    result = Image.open(io.BytesIO(data["instagram"]))
    r, g, b = result.convert("RGB").getpixel((round(out.width * 0.9), out.height // 2))
    assert r > 200 and g < 60 and b < 60, "the subject at the focal point was cropped away"
    # The same image centred loses it.
    centred, data = run(path, [spec])
    result = Image.open(io.BytesIO(data["instagram"])).convert("RGB")
    assert all(result.getpixel((x, result.height // 2))[1] > 200
               for x in range(0, result.width, 50))


def test_gps_and_exif_are_stripped_and_orientation_applied(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° when shown
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (37.0, 58.0, 0.0)}  # GPS
    path = write(tmp_path, "gps.jpg", noisy(400, 300), exif=exif.tobytes(), quality=90)
    results, data = run(path, [spec_for("mastodon"), spec_for("bluesky")])
    for network in ("mastodon", "bluesky"):
        out = results[network]
        assert (out.width, out.height) == (300, 400)  # turned upright
        assert "stripped" in out.steps and not out.passthrough
        written = Image.open(io.BytesIO(data[network]))
        assert len(written.getexif()) == 0
        assert b"PhoneMaker" not in data[network] and b"Exif" not in data[network]


def test_clean_image_that_fits_is_sent_byte_for_byte(tmp_path):
    path = write(tmp_path, "clean.png", Image.new("RGB", (800, 600), "navy"))
    results, data = run(path, [spec_for("mastodon")])
    assert results["mastodon"].passthrough
    assert data["mastodon"] == open(path, "rb").read()


def test_png_with_alpha_becomes_jpeg_only_where_needed(tmp_path):
    path = write(tmp_path, "alpha.png", noisy(600, 600, "RGBA"))
    results, _data = run(path, [spec_for("instagram"), spec_for("x")])
    assert results["instagram"].mime_type == "image/jpeg"  # Instagram takes JPEG only
    assert results["x"].mime_type == "image/png"  # X takes PNG: transparency kept


def test_webp_and_heic_are_converted_where_not_taken(tmp_path):
    webp = write(tmp_path, "photo.webp", noisy(500, 400), quality=80)
    results, _ = run(webp, [spec_for("threads"), spec_for("x")])
    assert results["threads"].mime_type == "image/jpeg"
    assert results["x"].mime_type == "image/webp"
    assert adapt.HEIF, "pillow-heif should be installed (pyproject)"
    heic = write(tmp_path, "phone.heic", noisy(400, 300), format="HEIF")
    results, data = run(heic, [spec_for("facebook")])
    assert results["facebook"].mime_type == "image/jpeg"
    assert Image.open(io.BytesIO(data["facebook"])).format == "JPEG"


def test_compressed_under_a_tight_cap(tmp_path):
    path = write(tmp_path, "big.png", noisy(2400, 1600))
    assert os.path.getsize(path) > 2_000_000
    results, data = run(path, [spec_for("bluesky")])
    out = results["bluesky"]
    assert out.size == len(data["bluesky"]) <= 2_000_000
    assert "compressed" in out.steps or "converted" in out.steps


@pytest.mark.parametrize("content,code", [
    (b"", "empty"),
    (b"this is not an image at all", "not_an_image"),
])
def test_bad_input_is_refused_per_network(tmp_path, content, code):
    path = tmp_path / "bad.jpg"
    path.write_bytes(content)
    results, data = run(str(path), [spec_for("x"), spec_for("instagram")])
    assert {r.code for r in results.values()} == {code}
    assert data == {}


def test_truncated_image_is_refused_not_crashed(tmp_path):
    good = write(tmp_path, "good.jpg", noisy(800, 600), quality=90)
    raw = open(good, "rb").read()
    path = tmp_path / "cut.jpg"
    path.write_bytes(raw[: len(raw) // 3])
    results, _ = run(str(path), [spec_for("x")])
    assert results["x"].code == "corrupt"


def test_decompression_bomb_refused_before_decoding(tmp_path):
    # 20000 x 20000 one-bit pixels: tiny on disk, 400 megapixels decoded.
    path = write(tmp_path, "bomb.png", Image.new("1", (20000, 20000)))
    assert os.path.getsize(path) < 200_000
    results, _ = run(path, [spec_for("x")])
    assert results["x"].code == "too_many_pixels"


def test_animated_gif_sent_where_shown_refused_where_a_still_is_wanted(tmp_path):
    frames = [Image.new("RGB", (120, 80), (i * 60, 255 - i * 60, 0)) for i in range(4)]
    path = str(tmp_path / "anim.gif")
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    results, data = run(path, [spec_for("mastodon"), spec_for("instagram")])
    assert results["mastodon"].passthrough and data["mastodon"] == open(path, "rb").read()
    assert results["instagram"].code == "animated"


@pytest.mark.parametrize("width,height", [(1, 1), (3, 2000), (2000, 3), (100000, 1)])
def test_plan_size_extremes_stay_within_limits(width, height):
    for network in IMAGE_NETWORKS:
        spec = spec_for(network)
        _crop, (w, h) = adapt.plan_size(width, height, spec)
        problems = spec.problems(w, h, 1, next(iter(spec.types)))
        assert not problems, (network, width, height, w, h, problems)


def provider_accepts(network: str, mime: str, size: int, width: int, height: int) -> list:
    provider = get_provider_class(network)(
        ProviderContext(credentials={}, settings={"instance": "https://m.example"}))
    item = MediaItem(path="/nonexistent", mime_type=mime, size=size, width=width, height=height,
                     alt_text="a picture", url="https://keryx.example/m/signed/")
    problems = provider.validate(PublishRequest(text="hello", media=(item,)))
    return [p for p in problems if p.field == "media"]


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    width=st.integers(min_value=1, max_value=1800),
    height=st.integers(min_value=1, max_value=1800),
    fmt=st.sampled_from(["PNG", "JPEG", "WEBP", "PNG-A", "GIF"]),
    fx=st.floats(min_value=0, max_value=1), fy=st.floats(min_value=0, max_value=1),
    noise=st.booleans(),
)
def test_property_adapted_images_meet_every_network_limit(tmp_path, width, height, fmt, fx,
                                                          fy, noise):
    mode = "RGBA" if fmt == "PNG-A" else "RGB"
    image = noisy(width, height, mode) if noise else Image.new(mode, (width, height), "teal")
    save_as = {"PNG-A": "PNG"}.get(fmt, fmt)
    path = write(tmp_path, f"src.{save_as.lower()}", image, format=save_as)
    specs = [spec_for(n) for n in IMAGE_NETWORKS]
    results, data = run(path, specs, adapt.Focal(fx, fy))
    for spec in specs:
        out = results[spec.network]
        assert not isinstance(out, adapt.AdaptationRefused), (spec.network, out.message)
        blob = data[spec.network]
        assert len(blob) == out.size
        written = Image.open(io.BytesIO(blob))
        assert written.size == (out.width, out.height)
        assert adapt.MIME_BY_FORMAT[written.format] == out.mime_type
        assert not spec.problems(out.width, out.height, out.size, out.mime_type), spec.network
        assert not provider_accepts(spec.network, out.mime_type, out.size, out.width,
                                    out.height), spec.network
