"""Scanned inbound letters: what kind of file, and its text.

Text comes from the PDF's own text layer (pypdf); images and image-only PDFs
have none here (no OCR), and are still registered, with an empty text.
"""

from __future__ import annotations

import io
import logging

from pypdf import PdfReader
from pypdf.errors import PyPdfError

log = logging.getLogger(__name__)

# Magic numbers of the accepted formats -> (content type, file extension).
FORMATS = {
    b"%PDF-": ("application/pdf", "pdf"),
    b"\x89PNG\r\n\x1a\n": ("image/png", "png"),
    b"\xff\xd8\xff": ("image/jpeg", "jpg"),
    b"II*\x00": ("image/tiff", "tif"),
    b"MM\x00*": ("image/tiff", "tif"),
}
MAX_TEXT = 100_000


class UnreadableScan(ValueError):
    """Not a PDF or image the hub takes, or a broken one; the message says why."""


def sniff(data: bytes) -> tuple[str, str]:
    for magic, kind in FORMATS.items():
        if data.startswith(magic):
            return kind
    raise UnreadableScan("the scan must be a PDF, PNG, JPEG or TIFF file")


def pdf_text(data: bytes) -> tuple[str, int]:
    """The PDF's text (pages joined by blank lines) and its page count."""
    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PyPdfError, ValueError, KeyError) as exc:
        raise UnreadableScan(f"the PDF cannot be read: {exc}") from exc
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    return text[:MAX_TEXT], max(len(pages), 1)
