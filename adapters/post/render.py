"""Letters as PDF: text from a jinja2 template, laid out per DIN 5008 (form B).

Form B puts the address field 45 mm from the top and 20 mm from the left edge,
85 x 45 mm: a 17.7 mm zone for the return address and notes, then the address
zone. A window envelope (DL, C5/6) shows exactly that field, so the provider
needs nothing but the PDF. Fold marks at 105 and 210 mm, the punch mark at
148.5 mm. The text is set in an embedded Unicode font (adapters/post/fonts.py),
so the euro sign and letters beyond Latin-1 print as written.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from fpdf import FPDF
from jinja2 import Environment, PackageLoader, StrictUndefined

from adapters.post.fonts import letter_font

# DIN 5008 form B geometry, in millimetres.
PAGE_WIDTH = 210.0
LEFT_MARGIN = 25.0
RIGHT_MARGIN = 20.0
FIELD_LEFT = 20.0
FIELD_TOP = 45.0
FIELD_WIDTH = 85.0
NOTE_ZONE = 17.7
ADDRESS_ZONE = 27.3
INDENT = 5.0  # text starts 5 mm inside the field (at the page's left margin)
INFO_LEFT = 125.0
INFO_TOP = 50.0
SUBJECT_TOP = 98.46
FOLD_MARKS = (105.0, 210.0)
PUNCH_MARK = 148.5
ADDRESS_LINE = 4.2
MAX_ADDRESS_LINES = 6


@dataclass(frozen=True)
class LetterContent:
    sender_line: str
    recipient_lines: tuple[str, ...]
    recipient_name: str
    subject: str
    body: str
    signature: str
    dated: date
    template: str = "letter.txt.j2"


@dataclass(frozen=True)
class RenderedLetter:
    pdf: bytes
    pages: int
    sha256: str
    text: str


def _templates() -> Environment:
    # Plain text out: no HTML escaping; a missing variable is an error, not a blank.
    return Environment(
        loader=PackageLoader("adapters.post", "templates"),
        autoescape=False,
        undefined=StrictUndefined,
        keep_trailing_newline=False,
    )


def letter_text(content: LetterContent) -> str:
    template = _templates().get_template(content.template)
    return template.render(
        recipient_name=content.recipient_name, body=content.body, signature=content.signature
    )


def render_letter(content: LetterContent) -> RenderedLetter:
    if not content.recipient_lines:
        raise ValueError("a letter needs a recipient address")
    if len(content.recipient_lines) > MAX_ADDRESS_LINES:
        raise ValueError(f"the address has more than {MAX_ADDRESS_LINES} lines")
    text = letter_text(content)
    font = letter_font()
    shown = font.printable
    pdf = FPDF(format="A4", unit="mm")
    for style, path in font.files.items():
        pdf.add_font(font.family, style, path)
    pdf.set_margins(LEFT_MARGIN, 20.0, RIGHT_MARGIN)
    pdf.set_auto_page_break(auto=True, margin=25.0)
    pdf.set_title(content.subject)
    pdf.set_creator("contacthub")
    pdf.add_page()
    _marks(pdf)
    # Return address: one small line at the top of the note zone.
    pdf.set_font(font.family, size=7)
    pdf.set_xy(FIELD_LEFT + INDENT, FIELD_TOP + 3.0)
    pdf.cell(FIELD_WIDTH - INDENT, 3.0, shown(content.sender_line))
    # The address zone, as the envelope window shows it.
    pdf.set_font(font.family, size=10)
    y = FIELD_TOP + NOTE_ZONE
    for line in content.recipient_lines:
        pdf.set_xy(FIELD_LEFT + INDENT, y)
        pdf.cell(FIELD_WIDTH - INDENT, ADDRESS_LINE, shown(line))
        y += ADDRESS_LINE
    pdf.set_xy(INFO_LEFT, INFO_TOP)
    pdf.cell(PAGE_WIDTH - RIGHT_MARGIN - INFO_LEFT, 5.0, f"Datum: {content.dated:%d.%m.%Y}")
    pdf.set_font(font.family, style="B", size=11)
    pdf.set_xy(LEFT_MARGIN, SUBJECT_TOP)
    pdf.multi_cell(0, 5.5, shown(content.subject))
    pdf.ln(6)
    pdf.set_font(font.family, size=11)
    pdf.multi_cell(0, 5.5, shown(text))
    data = bytes(pdf.output())
    return RenderedLetter(
        pdf=data, pages=pdf.pages_count, sha256=hashlib.sha256(data).hexdigest(), text=text
    )


def _marks(pdf: FPDF) -> None:
    pdf.set_line_width(0.2)
    for y in (*FOLD_MARKS, PUNCH_MARK):
        pdf.line(4.0, y, 8.0 if y != PUNCH_MARK else 10.0, y)
