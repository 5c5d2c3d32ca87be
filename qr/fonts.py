"""The CJK font posters are set in: a configured path, or Debian's fonts-noto-cjk.

Without one, Chinese would print as boxes (tofu); posters then refuse to render at all.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

DEBIAN_CJK_FONTS = {
    "regular": ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
                "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc"),
    "bold": ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
             "/usr/share/fonts/truetype/noto/NotoSansCJK-Bold.ttc"),
}
# Index of the Simplified Chinese face inside Noto's .ttc collections (JP, KR, SC, TC, HK).
NOTO_SC_INDEX = 2
PROBE = "民情意联系点代表"


class FontMissing(RuntimeError):
    """No font that can draw Chinese: the message says how to get one."""


@cache
def cjk_font_paths(configured: str = "") -> dict[str, tuple[str, int]]:
    """{"regular": (path, index), "bold": (path, index)}; a configured font serves both weights."""
    if configured:
        if not Path(configured).is_file():
            raise FontMissing(f"posters.font_path {configured} does not exist")
        found = {"regular": (configured, 0), "bold": (configured, 0)}
    else:
        found = {}
        for weight, candidates in DEBIAN_CJK_FONTS.items():
            path = next((p for p in candidates if Path(p).is_file()), None)
            if path is None:
                raise FontMissing("no Chinese font found: install Debian's fonts-noto-cjk "
                                  "(apt-get install fonts-noto-cjk) or set posters.font_path")
            found[weight] = (path, NOTO_SC_INDEX)
    for path, index in found.values():
        if not draws_chinese(ImageFont.truetype(path, 48, index=index)):
            raise FontMissing(f"{path} has no Chinese characters; set posters.font_path to a CJK font")
    return found


def draws_chinese(font: ImageFont.FreeTypeFont) -> bool:
    """True when the font has real glyphs for Chinese, not its "missing" box for every one."""
    missing = glyph(font, "\U0010fffd")  # a private-use code point: the notdef box
    return all(glyph(font, char) != missing for char in PROBE)


def glyph(font: ImageFont.FreeTypeFont, char: str) -> bytes:
    image = Image.new("L", (int(font.size * 2), int(font.size * 2)))
    ImageDraw.Draw(image).text((0, 0), char, font=font, fill=255)
    return image.tobytes()


@cache
def font(weight: str, size: int, configured: str = "") -> ImageFont.FreeTypeFont:
    path, index = cjk_font_paths(configured)[weight]
    return ImageFont.truetype(path, size, index=index)
