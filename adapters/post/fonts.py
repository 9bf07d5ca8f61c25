"""The letters' typeface: Open Sans, embedded, from the `ttf-opensans` package.

fpdf2's built-in fonts know only Latin-1 (no euro sign, no Polish or Czech
letters), so letters embed a Unicode TrueType font. It comes from a PyPI
package (a dependency of the hub), so `pip install` alone brings it and nothing
is fetched at run time. Characters the font has no glyph for (CJK, emoji) are
printed as '?', so a letter never shows blank boxes or silently loses text.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from fontTools.ttLib import TTFont

FAMILY = "OpenSans"
PACKAGE = "ttf_opensans"
STYLES = {"": "OpenSans-Regular.ttf", "B": "OpenSans-Bold.ttf"}
REPLACEMENT = "?"
# Line breaks and tabs are layout, not glyphs.
_LAYOUT = frozenset(map(ord, "\n\r\t"))


class FontMissing(RuntimeError):
    """The font package is not installed; the message says how to fix it."""


@dataclass(frozen=True)
class LetterFont:
    family: str
    files: dict[str, Path]  # fpdf2 style ("" or "B") -> TrueType file
    code_points: frozenset[int]

    def printable(self, text: str) -> str:
        """The text with every character the font cannot show replaced by '?'."""
        if all(ord(ch) in self.code_points or ord(ch) in _LAYOUT for ch in text):
            return text
        return "".join(
            ch if ord(ch) in self.code_points or ord(ch) in _LAYOUT else REPLACEMENT for ch in text
        )


@lru_cache(maxsize=1)
def letter_font() -> LetterFont:
    try:
        folder = Path(str(files(PACKAGE) / "ttf"))
    except ModuleNotFoundError:
        raise FontMissing(
            f"the letter font is missing: install the Python package {PACKAGE.replace('_', '-')}"
            " (a dependency of contacthub: pip install .)"
        ) from None
    paths = {style: folder / name for style, name in STYLES.items()}
    for path in paths.values():
        if not path.is_file():
            raise FontMissing(f"the letter font file {path} is missing: reinstall ttf-opensans")
    # Every style of the family covers the same characters: the regular's map says which.
    with TTFont(paths[""], lazy=True) as font:
        code_points = frozenset(font.getBestCmap() or {})
    return LetterFont(FAMILY, paths, code_points)
