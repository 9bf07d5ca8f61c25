"""Letters as PDF: what is written is what the PDF says, beyond Latin-1 too."""

from __future__ import annotations

import io
from datetime import date

from pypdf import PdfReader

from adapters.post.render import LetterContent, render_letter

WRITTEN = "€ Größe Łódź ČŘ"


def letter(subject: str, body: str, name: str = "Paweł Nowak") -> LetterContent:
    return LetterContent(
        sender_line="Contacthub GmbH · Musterweg 1 · 10115 Berlin",
        recipient_lines=(name, "ul. Piotrkowska 12", "90-001 Łódź", "PL"),
        recipient_name=name,
        subject=subject,
        body=body,
        signature="Ihr Kundenservice",
        dated=date(2026, 3, 3),
    )


def page_text(pdf: bytes) -> str:
    return PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_text_beyond_latin_1_reads_back_as_written() -> None:
    rendered = render_letter(letter(f"Betreff {WRITTEN}", f"Wir erstatten 42,00 €. {WRITTEN}"))
    text = page_text(rendered.pdf)
    assert f"Betreff {WRITTEN}" in text
    assert f"Wir erstatten 42,00 €. {WRITTEN}" in text
    assert "Paweł Nowak" in text and "90-001 Łódź" in text
    assert "EUR" not in text
    assert PdfReader(io.BytesIO(rendered.pdf)).metadata.title == f"Betreff {WRITTEN}"


# German quotes, en dash, ellipsis, single quotes, by code point (no look-alikes in the source).
TYPOGRAPHY = "\u201eGut\u201c \u2013 sagt er \u2026 \u201aja\u2018"


def test_typographic_quotes_and_dashes_are_kept() -> None:
    text = page_text(render_letter(letter("Zitat", TYPOGRAPHY)).pdf)
    assert TYPOGRAPHY in text


def test_a_character_the_font_lacks_is_a_visible_question_mark_not_lost() -> None:
    text = page_text(render_letter(letter("Hinweis", "Danke 谢谢 sehr")).pdf)
    assert "Danke ?? sehr" in text
