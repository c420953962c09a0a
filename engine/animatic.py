"""The animatic renderer: a draft preview of a scene, as a real H.264 MP4, with no Veo.

Everything on screen is derived deterministically from the prompt and seed: the palette
(with a few words of the prompt steering the hue), the shapes and their motion, and the
camera move. The scene title, a timecode and a "DRAFT PREVIEW" label are burned in.

Speed comes from doing almost nothing per frame in Python: the world is a canvas larger
than the frame whose backdrop varies only by row, the camera is a window on it, and each
frame is painted straight into the encoder's YUV planes at the output size (backdrop rows
broadcast, shapes scaled by index, overlays blended in integer math): nothing is scaled.
"""

from __future__ import annotations

import colorsys
import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFont

FPS = 24
MARGIN = 1.3  # canvas size over frame size: room for pans, zooms and orbits
# A keyframe every second: the assembler copies a take from any second, untouched.
ENCODER_OPTIONS = {"preset": "ultrafast", "crf": "26", "g": str(FPS)}
# Tagged in the files: players that guess (Chromium takes untagged HD for BT.709, swscale
# for BT.601) then agree. ffmpeg's numbers: limited range, BT.709 primaries/transfer/matrix.
BT709 = {"color_range": 1, "color_primaries": 1, "color_trc": 1, "colorspace": 1}
DRAFT_LABEL = "DRAFT PREVIEW · animatic"
POSTER_WIDTH = 640

# Words that steer the palette's hue, so "a neon city at night" looks like one.
HUE_WORDS = {
    "sunset": 0.06,
    "sunrise": 0.09,
    "fire": 0.02,
    "desert": 0.10,
    "autumn": 0.07,
    "gold": 0.12,
    "forest": 0.30,
    "jungle": 0.33,
    "grass": 0.27,
    "ocean": 0.55,
    "sea": 0.54,
    "water": 0.52,
    "river": 0.50,
    "sky": 0.58,
    "snow": 0.57,
    "ice": 0.53,
    "night": 0.65,
    "space": 0.70,
    "city": 0.68,
    "neon": 0.85,
    "rose": 0.95,
    "love": 0.97,
}


@dataclass(frozen=True)
class AnimaticSpec:
    title: str
    prompt: str
    duration: float
    width: int
    height: int
    seed: int = 0
    style: str = "cinematic"
    camera: str = "static"
    # Continuity: a scene that continues the previous one keeps its palette.
    palette_prompt: str | None = None
    palette_seed: int | None = None

    @property
    def frames(self) -> int:
        return round(self.duration * FPS)


@dataclass(frozen=True)
class RenderResult:
    frames: int
    width: int
    height: int
    fps: int
    duration: float
    codec: str
    bytes: int


Progress = Callable[[float], None]


def _rng(*parts: object) -> np.random.Generator:
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "big"))


def palette(prompt: str, seed: int, style: str) -> np.ndarray:
    """Five RGB colours (uint8) that belong together, from the prompt, seed and style."""
    rng = _rng("palette", prompt.lower(), seed)
    words = [w.strip(".,;:!?\"'") for w in prompt.lower().split()]
    hues = [HUE_WORDS[w] for w in words if w in HUE_WORDS]
    base = hues[0] if hues else float(rng.random())
    saturation, value = 0.55 + 0.3 * float(rng.random()), 0.55 + 0.35 * float(rng.random())
    if style == "noir":
        saturation = 0.0
    elif style in ("watercolor", "vintage-film"):
        saturation *= 0.45
        value = min(1.0, value + 0.2)
        base = 0.1 if style == "vintage-film" else base
    elif style == "anime":
        saturation = min(1.0, saturation + 0.25)
    offsets = (0.0, 0.04, -0.05, 0.5, 0.42)  # analogous hues plus a complementary accent
    colours = []
    for i, offset in enumerate(offsets):
        v = value * (0.45 + 0.55 * (i % 3) / 2)
        r, g, b = colorsys.hsv_to_rgb((base + offset) % 1.0, saturation, max(0.15, v))
        colours.append((round(r * 255), round(g * 255), round(b * 255)))
    return np.array(colours, dtype=np.uint8)


@dataclass
class _Shape:
    mask: np.ndarray  # bool, shape (h, w)
    colour: np.ndarray  # uint8 Y, U, V
    x: float
    y: float
    vx: float
    vy: float
    bob: float
    phase: float


def _world(spec: AnimaticSpec, colours: np.ndarray) -> tuple[np.ndarray, list[_Shape]]:
    """The canvas backdrop as one column of YUV rows, and the shapes that move over it.

    The backdrop varies only by row, so a frame's backdrop is a column picked by the camera
    and broadcast across the width: nothing is scaled per frame, not even for zooms.
    """
    cw, ch = _even(spec.width * MARGIN), _even(spec.height * MARGIN)
    top, horizon, ground = colours[0].astype(np.float32), colours[1], colours[2]
    rows = np.linspace(0.0, 1.0, ch, dtype=np.float32)[:, None]
    horizon_at = int(ch * 0.62)
    sky = top * (1 - rows[:horizon_at]) + horizon.astype(np.float32) * rows[:horizon_at]
    land = np.linspace(
        horizon.astype(np.float32) * 0.8, ground.astype(np.float32) * 0.6, ch - horizon_at
    )
    column = rgb_to_yuv(np.concatenate([sky, land]).clip(0, 255).astype(np.uint8))

    rng = _rng("shapes", spec.prompt, spec.seed)
    yuv = rgb_to_yuv(colours)
    shapes = []
    for _ in range(int(rng.integers(4, 8))):
        size = _even(spec.height * rng.uniform(0.06, 0.22))
        yy, xx = np.mgrid[:size, :size]
        centre = (size - 1) / 2
        if rng.random() < 0.55:
            mask = (xx - centre) ** 2 + (yy - centre) ** 2 <= centre**2
        else:
            mask = np.ones((size, _even(size * rng.uniform(0.6, 1.6))), dtype=bool)
        speed = spec.height * 0.15
        shapes.append(
            _Shape(
                mask=mask,
                colour=yuv[int(rng.integers(3, 5))]
                if rng.random() < 0.6
                else yuv[int(rng.integers(0, 5))],
                x=float(rng.uniform(0, cw)),
                y=float(rng.uniform(ch * 0.15, ch * 0.85)),
                vx=float(rng.uniform(-speed, speed)),
                vy=float(rng.uniform(-speed, speed) * 0.3),
                bob=float(rng.uniform(0, spec.height * 0.04)),
                phase=float(rng.uniform(0, math.tau)),
            )
        )
    return column, shapes


def _even(value: float) -> int:
    return max(0, int(value) // 2 * 2)


def camera_window(
    camera: str, u: float, frame: tuple[int, int], canvas: tuple[int, int]
) -> tuple[int, int, int, int]:
    """The crop (x, y, width, height) of the canvas the camera sees at progress ``u``."""
    (w, h), (cw, ch) = frame, canvas
    eased = 0.5 - 0.5 * math.cos(math.pi * u)
    scale = 1.0
    cx, cy = cw / 2, ch / 2
    slack_x, slack_y = (cw - w) / 2, (ch - h) / 2
    if camera == "pan-left":
        cx += slack_x * (1 - 2 * eased)
    elif camera == "pan-right":
        cx -= slack_x * (1 - 2 * eased)
    elif camera == "tilt-up":
        cy += slack_y * (1 - 2 * eased)
    elif camera == "tilt-down":
        cy -= slack_y * (1 - 2 * eased)
    elif camera == "zoom-in":
        scale = MARGIN - (MARGIN - 0.8) * eased
    elif camera == "zoom-out":
        scale = 0.8 + (MARGIN - 0.8) * eased
    elif camera == "dolly-in":
        scale = 1.15 - 0.35 * eased
        cy += slack_y * 0.3 * eased
    elif camera == "orbit":
        cx += slack_x * 0.9 * math.cos(math.tau * u)
        cy += slack_y * 0.9 * math.sin(math.tau * u)
    elif camera == "handheld":
        t = u * 40
        cx += slack_x * 0.08 * (math.sin(t * 1.3) + 0.5 * math.sin(t * 3.1))
        cy += slack_y * 0.08 * (math.cos(t * 1.7) + 0.5 * math.sin(t * 2.3))
    ww, wh = min(cw, _even(w * scale)), min(ch, _even(h * scale))
    x = _even(min(max(cx - ww / 2, 0), cw - ww))
    y = _even(min(max(cy - wh / 2, 0), ch - wh))
    return x, y, ww, wh


def rgb_to_yuv(rgb: np.ndarray) -> np.ndarray:
    """BT.709 limited range, the HD standard; the files say so (``BT709``)."""
    rgb = rgb.astype(np.float32)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    y = 16 + 0.1826 * r + 0.6142 * g + 0.0620 * b
    u = 128 - 0.1006 * r - 0.3386 * g + 0.4392 * b
    v = 128 + 0.4392 * r - 0.3989 * g - 0.0403 * b
    return np.stack([y, u, v], axis=-1).round().clip(0, 255).astype(np.uint8)


def _paint(
    planes: list[np.ndarray],
    window: tuple[int, int, int, int],
    shapes: list[_Shape],
    t: float,
    canvas_width: int,
) -> None:
    """Draw the shapes the camera's window sees, scaled from canvas to frame pixels."""
    wx, wy, ww, wh = window
    vh, vw = planes[0].shape
    sx, sy = ww / vw, wh / vh  # canvas pixels per frame pixel
    for shape in shapes:
        sh, sw = shape.mask.shape
        left = _even((shape.x + shape.vx * t) % (canvas_width + sw)) - sw
        top = _even(shape.y + shape.vy * t + shape.bob * math.sin(shape.phase + t * 2.0) + sh)
        top -= sh
        x, y = _even((left - wx) / sx), _even((top - wy) / sy)
        fw, fh = max(2, _even(sw / sx)), max(2, _even(sh / sy))
        x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + fw, vw), min(y + fh, vh)
        if x0 >= x1 or y0 >= y1:
            continue
        rows = np.minimum((np.arange(y0 - y, y1 - y) * sh) // fh, sh - 1)
        cols = np.minimum((np.arange(x0 - x, x1 - x) * sw) // fw, sw - 1)
        mask = shape.mask[rows[:, None], cols]
        planes[0][y0:y1, x0:x1][mask] = shape.colour[0]
        half = mask[::2, ::2]
        for index in (1, 2):
            region = planes[index][
                y0 // 2 : y0 // 2 + half.shape[0], x0 // 2 : x0 // 2 + half.shape[1]
            ]
            region[half[: region.shape[0], : region.shape[1]]] = shape.colour[index]


# Overlays, blended into the YUV planes after scaling so they never move with the camera.

WHITE_YUV = (235.0, 128.0, 128.0)
AMBER_YUV = (171.0, 43.0, 170.0)  # BT.709 limited-range amber (255, 176, 0)


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _text_alpha(text: str, size: int) -> np.ndarray:
    font = _font(size)
    left, top, right, bottom = font.getbbox(text)
    image = Image.new("L", (_even(right - left + 2), _even(bottom - top + 2)))
    ImageDraw.Draw(image).text((-left + 1, -top + 1), text, font=font, fill=255)
    # Coverage as 0..256, so blending is a multiply and a shift.
    return (np.asarray(image, dtype=np.uint16) * 256 + 127) // 255


@dataclass
class _Overlay:
    x: int
    y: int
    alpha: np.ndarray  # text coverage 0..256 (uint16), full resolution, even size
    box: tuple[int, int, int, int]  # x, y, w, h of the darkened backing box
    colour: tuple[float, float, float]


def _planes(frame: av.VideoFrame) -> list[np.ndarray]:
    out = []
    for plane in frame.planes:
        buffer = np.asarray(memoryview(plane)).reshape(-1, plane.line_size)
        out.append(buffer[: plane.height, : plane.width])
    return out


def _blend(planes: list[np.ndarray], overlay: _Overlay) -> None:
    """Halve the backing box toward black, then lay the text over it, in integer math."""
    y_plane, u_plane, v_plane = planes
    bx, by, bw, bh = overlay.box
    y_plane[by : by + bh, bx : bx + bw] >>= 1
    for plane in (u_plane, v_plane):
        sub = plane[by // 2 : (by + bh) // 2, bx // 2 : (bx + bw) // 2]
        sub >>= 1
        sub += 64  # halfway to neutral chroma (128)
    h, w = overlay.alpha.shape
    x, y = overlay.x, overlay.y
    targets = (
        (y_plane[y : y + h, x : x + w], overlay.alpha, overlay.colour[0]),
        (
            u_plane[y // 2 : (y + h) // 2, x // 2 : (x + w) // 2],
            overlay.alpha[::2, ::2],
            overlay.colour[1],
        ),
        (
            v_plane[y // 2 : (y + h) // 2, x // 2 : (x + w) // 2],
            overlay.alpha[::2, ::2],
            overlay.colour[2],
        ),
    )
    for target, ink, value in targets:
        target[:] = ((target * (256 - ink) + int(value) * ink) >> 8).astype(np.uint8)


def _label(
    text: str,
    size: int,
    anchor: tuple[str, str],
    frame: tuple[int, int],
    colour: tuple[float, float, float],
) -> _Overlay:
    alpha = _text_alpha(text, size)
    return _place(alpha, anchor, frame, colour)


def _place(
    alpha: np.ndarray,
    anchor: tuple[str, str],
    frame: tuple[int, int],
    colour: tuple[float, float, float],
) -> _Overlay:
    w, h = frame
    ah, aw = alpha.shape
    pad = _even(max(8, h // 60))
    edge = _even(h // 30)
    aw, ah = min(aw, w - 2 * (edge + pad)), ah
    alpha = alpha[:, :aw] if aw % 2 == 0 else alpha[:, : aw - 1]
    aw = alpha.shape[1]
    x = edge + pad if anchor[0] == "left" else w - edge - pad - aw
    y = edge + pad if anchor[1] == "top" else h - edge - pad - ah
    return _Overlay(x, y, alpha, (x - pad, y - pad, aw + 2 * pad, ah + 2 * pad), colour)


class _Timecode:
    """HH:MM:SS:FF drawn from pre-rendered glyph cells: no text layout per frame."""

    def __init__(self, size: int, frame: tuple[int, int]) -> None:
        glyphs = {c: _text_alpha(c, size) for c in "0123456789:"}
        cell_h = max(g.shape[0] for g in glyphs.values())
        cell_w = _even(max(g.shape[1] for g in glyphs.values()))
        self.cells = {}
        for char, glyph in glyphs.items():
            cell = np.zeros((cell_h, cell_w), dtype=np.uint16)
            gh, gw = glyph.shape
            cell[
                (cell_h - gh) // 2 : (cell_h - gh) // 2 + gh,
                (cell_w - gw) // 2 : (cell_w - gw) // 2 + gw,
            ] = glyph
            self.cells[char] = cell
        self.frame = frame
        self.template = _place(
            np.zeros((cell_h, cell_w * 11), np.uint16), ("right", "bottom"), frame, WHITE_YUV
        )

    def at(self, index: int) -> _Overlay:
        seconds, frames = divmod(index, FPS)
        text = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}:{frames:02d}"
        alpha = np.concatenate([self.cells[c] for c in text], axis=1)
        t = self.template
        return _Overlay(t.x, t.y, alpha, t.box, t.colour)


def _camera_frame(
    column: np.ndarray,
    window: tuple[int, int, int, int],
    shapes: list[_Shape],
    t: float,
    size: tuple[int, int],
) -> av.VideoFrame:
    """The frame the camera sees, painted straight at the output size."""
    w, h = size
    _, wy, _, wh = window
    frame = av.VideoFrame(w, h, "yuv420p")
    planes = _planes(frame)
    rows = wy + (np.arange(h) * wh) // h  # the canvas row under each frame row
    planes[0][:] = column[rows, 0, None]
    planes[1][:] = column[rows[::2], 1, None]
    planes[2][:] = column[rows[::2], 2, None]
    _paint(planes, window, shapes, t, _even(w * MARGIN))
    return frame


def render(
    spec: AnimaticSpec, output: Path, poster: Path | None = None, progress: Progress | None = None
) -> RenderResult:
    """Render ``spec`` to ``output`` (MP4) and, if asked, a JPEG poster of its middle frame."""
    w, h = spec.width, spec.height
    colours = palette(
        spec.palette_prompt or spec.prompt,
        spec.seed if spec.palette_seed is None else spec.palette_seed,
        spec.style,
    )
    column, shapes = _world(spec, colours)
    canvas_size = (_even(w * MARGIN), column.shape[0])
    text = max(14, h // 26)
    overlays = [
        _label(spec.title or "Untitled scene", int(text * 1.2), ("left", "top"), (w, h), WHITE_YUV),
        _label(DRAFT_LABEL, text, ("right", "top"), (w, h), AMBER_YUV),
        _label(
            spec.prompt[:70] + ("…" if len(spec.prompt) > 70 else ""),
            int(text * 0.8),
            ("left", "bottom"),
            (w, h),
            WHITE_YUV,
        ),
    ]
    timecode = _Timecode(text, (w, h))
    total = spec.frames
    poster_at = total // 2

    with av.open(str(output), "w", format="mp4", options={"movflags": "+faststart"}) as container:
        stream = container.add_stream("libx264", rate=FPS, options=ENCODER_OPTIONS)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.codec_context.thread_count = 1
        for name, value in BT709.items():
            setattr(stream.codec_context, name, value)
        for index in range(total):
            t = index / FPS
            window = camera_window(spec.camera, index / max(1, total - 1), (w, h), canvas_size)
            frame = _camera_frame(column, window, shapes, t, (w, h))
            planes = _planes(frame)
            for overlay in (*overlays, timecode.at(index)):
                _blend(planes, overlay)
            frame.pts = index
            if poster is not None and index == poster_at:
                image = frame.to_image()
                image.thumbnail((POSTER_WIDTH, POSTER_WIDTH))
                image.save(poster, format="JPEG", quality=85)
            container.mux(stream.encode(frame))
            if progress is not None and (index % 12 == 11 or index == total - 1):
                progress((index + 1) / total)
        container.mux(stream.encode(None))
    return RenderResult(
        frames=total,
        width=w,
        height=h,
        fps=FPS,
        duration=total / FPS,
        codec="h264",
        bytes=output.stat().st_size,
    )
