"""ThumbHash: a ~25-byte blurry preview that clients paint while the real rendition loads.

A port of Evan Wallace's reference code (https://github.com/evanw/thumbhash, MIT): ~100 lines of
pure Python keep the Lambda layer free of one more dependency for a tiny, frozen format. The
decoder is here so tests (and the local demo) can check that a hash really looks like its photo.
Rounding is half-up like JavaScript's `Math.round` and sums run in the reference's order, so
hashes match it byte for byte, except (rarely) for a term that lands exactly on a rounding
boundary, where V8's and libm's `cos` may differ in the last bit: one nibble off by one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from PIL import Image

# The hash holds at most 7x7 luminance terms and decodes to 32 px, so more input adds only cost.
MAX_INPUT_SIDE = 100


def _round(value: float) -> int:
    return math.floor(value + 0.5)


def _encode_channel(
    channel: Sequence[float], w: int, h: int, nx: int, ny: int
) -> tuple[float, list[float], float]:
    # The reference's summation order, so floating-point results agree with it.
    dc = 0.0
    ac: list[float] = []
    scale = 0.0
    for cy in range(ny):
        cos_y = [math.cos(math.pi / h * cy * (y + 0.5)) for y in range(h)]
        cx = 0
        while cx * ny < nx * (ny - cy):
            cos_x = [math.cos(math.pi / w * cx * (x + 0.5)) for x in range(w)]
            f = 0.0
            for y in range(h):
                fy = cos_y[y]
                row = y * w
                for x in range(w):
                    f += channel[row + x] * cos_x[x] * fy
            f /= w * h
            if cx or cy:
                ac.append(f)
                scale = max(scale, abs(f))
            else:
                dc = f
            cx += 1
    if scale:
        ac = [0.5 + 0.5 / scale * f for f in ac]
    return dc, ac, scale


def encode(image: Image.Image) -> bytes:
    """Hashes an image that fits in 100x100 (any mode; alpha is honoured)."""
    w, h = image.size
    if w > MAX_INPUT_SIDE or h > MAX_INPUT_SIDE:
        raise ValueError(f"{w}x{h} doesn't fit in {MAX_INPUT_SIDE}x{MAX_INPUT_SIDE}")
    rgba = image.convert("RGBA").tobytes()
    pixels = w * h

    avg_r = avg_g = avg_b = avg_a = 0.0
    for i in range(0, pixels * 4, 4):
        alpha = rgba[i + 3] / 255
        avg_r += alpha / 255 * rgba[i]
        avg_g += alpha / 255 * rgba[i + 1]
        avg_b += alpha / 255 * rgba[i + 2]
        avg_a += alpha
    if avg_a:
        avg_r /= avg_a
        avg_g /= avg_a
        avg_b /= avg_a

    has_alpha = avg_a < pixels
    l_limit = 5 if has_alpha else 7  # fewer luminance terms leave room for the alpha ones
    lx = max(1, _round(l_limit * w / max(w, h)))
    ly = max(1, _round(l_limit * h / max(w, h)))

    # RGBA -> LPQA, composited over the average colour so transparent pixels don't bleed black.
    lum: list[float] = []
    yellow_blue: list[float] = []
    red_green: list[float] = []
    alphas: list[float] = []
    for i in range(0, pixels * 4, 4):
        alpha = rgba[i + 3] / 255
        r = avg_r * (1 - alpha) + alpha / 255 * rgba[i]
        g = avg_g * (1 - alpha) + alpha / 255 * rgba[i + 1]
        b = avg_b * (1 - alpha) + alpha / 255 * rgba[i + 2]
        lum.append((r + g + b) / 3)
        yellow_blue.append((r + g) / 2 - b)
        red_green.append(r - g)
        alphas.append(alpha)

    l_dc, l_ac, l_scale = _encode_channel(lum, w, h, max(3, lx), max(3, ly))
    p_dc, p_ac, p_scale = _encode_channel(yellow_blue, w, h, 3, 3)
    q_dc, q_ac, q_scale = _encode_channel(red_green, w, h, 3, 3)
    a_dc, a_ac, a_scale = _encode_channel(alphas, w, h, 5, 5) if has_alpha else (1.0, [], 0.0)

    is_landscape = w > h
    header24 = (
        _round(63 * l_dc)
        | (_round(31.5 + 31.5 * p_dc) << 6)
        | (_round(31.5 + 31.5 * q_dc) << 12)
        | (_round(31 * l_scale) << 18)
        | (int(has_alpha) << 23)
    )
    header16 = (
        (ly if is_landscape else lx)
        | (_round(63 * p_scale) << 3)
        | (_round(63 * q_scale) << 9)
        | (int(is_landscape) << 15)
    )
    out = [header24 & 255, (header24 >> 8) & 255, header24 >> 16, header16 & 255, header16 >> 8]
    if has_alpha:
        out.append(_round(15 * a_dc) | (_round(15 * a_scale) << 4))
    factors = [*l_ac, *p_ac, *q_ac, *a_ac]
    out.extend([0] * ((len(factors) + 1) // 2))
    start = 6 if has_alpha else 5
    for index, f in enumerate(factors):
        out[start + (index >> 1)] |= _round(15 * f) << ((index & 1) << 2)
    return bytes(out)


def approximate_aspect_ratio(thumbhash: bytes) -> float:
    """Width / height as the hash remembers it (coarse: from the luminance term counts)."""
    has_alpha = thumbhash[2] & 0x80
    is_landscape = thumbhash[4] & 0x80
    lx = (5 if has_alpha else 7) if is_landscape else thumbhash[3] & 7
    ly = thumbhash[3] & 7 if is_landscape else (5 if has_alpha else 7)
    return lx / ly


def decode(thumbhash: bytes) -> Image.Image:
    """Renders a hash back into a small RGBA image (at most 32 px), as clients will."""
    header24 = thumbhash[0] | (thumbhash[1] << 8) | (thumbhash[2] << 16)
    header16 = thumbhash[3] | (thumbhash[4] << 8)
    l_dc = (header24 & 63) / 63
    p_dc = ((header24 >> 6) & 63) / 31.5 - 1
    q_dc = ((header24 >> 12) & 63) / 31.5 - 1
    l_scale = ((header24 >> 18) & 31) / 31
    has_alpha = bool(header24 >> 23)
    p_scale = ((header16 >> 3) & 63) / 63
    q_scale = ((header16 >> 9) & 63) / 63
    is_landscape = bool(header16 >> 15)
    lx = max(3, (5 if has_alpha else 7) if is_landscape else header16 & 7)
    ly = max(3, header16 & 7 if is_landscape else (5 if has_alpha else 7))
    a_dc = (thumbhash[5] & 15) / 15 if has_alpha else 1.0
    a_scale = (thumbhash[5] >> 4) / 15

    start = 6 if has_alpha else 5
    index = 0

    def read_channel(nx: int, ny: int, scale: float) -> list[float]:
        nonlocal index
        ac: list[float] = []
        for cy in range(ny):
            cx = 0 if cy else 1
            while cx * ny < nx * (ny - cy):
                nibble = (thumbhash[start + (index >> 1)] >> ((index & 1) << 2)) & 15
                ac.append((nibble / 7.5 - 1) * scale)
                index += 1
                cx += 1
        return ac

    # The reference boosts saturation by 1.25x to make up for quantisation.
    l_ac = read_channel(lx, ly, l_scale)
    p_ac = read_channel(3, 3, p_scale * 1.25)
    q_ac = read_channel(3, 3, q_scale * 1.25)
    a_ac = read_channel(5, 5, a_scale) if has_alpha else []

    ratio = approximate_aspect_ratio(thumbhash)
    w = _round(32 if ratio > 1 else 32 * ratio)
    h = _round(32 / ratio if ratio > 1 else 32)
    out = bytearray(w * h * 4)
    nx_cos = max(lx, 5 if has_alpha else 3)
    ny_cos = max(ly, 5 if has_alpha else 3)
    i = 0
    for y in range(h):
        fy = [math.cos(math.pi / h * (y + 0.5) * cy) for cy in range(ny_cos)]
        for x in range(w):
            fx = [math.cos(math.pi / w * (x + 0.5) * cx) for cx in range(nx_cos)]
            lum, p, q, a = l_dc, p_dc, q_dc, a_dc
            j = 0
            for cy in range(ly):
                cx = 0 if cy else 1
                fy2 = fy[cy] * 2
                while cx * ly < lx * (ly - cy):
                    lum += l_ac[j] * fx[cx] * fy2
                    cx += 1
                    j += 1
            j = 0
            for cy in range(3):
                cx = 0 if cy else 1
                fy2 = fy[cy] * 2
                while cx < 3 - cy:
                    f = fx[cx] * fy2
                    p += p_ac[j] * f
                    q += q_ac[j] * f
                    cx += 1
                    j += 1
            if has_alpha:
                j = 0
                for cy in range(5):
                    cx = 0 if cy else 1
                    fy2 = fy[cy] * 2
                    while cx < 5 - cy:
                        a += a_ac[j] * fx[cx] * fy2
                        cx += 1
                        j += 1
            b = lum - 2 / 3 * p
            r = (3 * lum - b + q) / 2
            g = r - q
            for offset, value in enumerate((r, g, b, a)):
                out[i + offset] = int(max(0.0, 255 * min(1.0, value)))
            i += 4
    return Image.frombytes("RGBA", (w, h), bytes(out))
