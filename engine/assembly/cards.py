"""Stills drawn with Pillow: title and end cards, and caption overlays to burn in.

Drawn here rather than with ffmpeg's drawtext or libass, which need fonts installed on the
machine; Pillow carries its own.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from PIL import Image, ImageColor, ImageDraw, ImageFont


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def card_png(text: str, background: str, width: int, height: int, path: Path) -> Path:
    """A full frame: ``text`` centred on ``background``, in a colour that reads on it."""
    colour = ImageColor.getrgb(background)
    image = Image.new("RGB", (width, height), colour)
    draw = ImageDraw.Draw(image)
    ink = (20, 20, 20) if sum(colour[:3]) > 382 else (245, 245, 245)
    font = _font(max(16, height // 12))
    lines = textwrap.wrap(text, width=max(12, int(width / (height // 12) * 1.6))) or [""]
    draw.multiline_text(
        (width / 2, height / 2), "\n".join(lines), font=font, fill=ink, anchor="mm", align="center"
    )
    image.save(path)
    return path


def caption_png(text: str, width: int, height: int, path: Path) -> Path:
    """A transparent frame with ``text`` on a dark band near the bottom."""
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    size = max(14, height // 22)
    font = _font(size)
    lines = textwrap.wrap(text, width=max(16, int(width / size * 1.7)))
    block = "\n".join(lines)
    x, y = width / 2, height - size * (len(lines) + 1.5)
    left, top, right, bottom = draw.multiline_textbbox((x, y), block, font=font, anchor="ma")
    pad = size // 2
    draw.rectangle((left - pad, top - pad, right + pad, bottom + pad), fill=(0, 0, 0, 160))
    draw.multiline_text(
        (x, y), block, font=font, fill=(255, 255, 255, 255), anchor="ma", align="center"
    )
    image.save(path)
    return path
