"""The print-and-mail provider port, and the embedded default: a local outbox folder.

A provider takes the rendered PDF and answers with its reference and first
status; its later statuses (printed, posted, returned) come back through the
signed status webhook (`POST /webhooks/post/status`). The outbox writes the PDF
and a JSON note beside it, each atomically (temporary file, then rename), so a
print shop's pick-up job never sees half a letter.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from uuid import UUID


@dataclass(frozen=True)
class Submission:
    reference: str
    status: str  # "submitted" once the provider holds the letter


class PrintMailProvider(Protocol):
    name: str

    def submit(self, letter_id: UUID, pdf: bytes, recipient_lines: tuple[str, ...]) -> Submission:
        """Hands the letter over; raises OSError (or a provider error) if it cannot."""
        ...


class OutboxProvider:
    """Writes `<letter_id>.pdf` and `<letter_id>.json` into a folder."""

    name = "outbox"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def submit(self, letter_id: UUID, pdf: bytes, recipient_lines: tuple[str, ...]) -> Submission:
        self.folder.mkdir(parents=True, exist_ok=True)
        note = {"letter_id": str(letter_id), "recipient": list(recipient_lines)}
        _write_atomically(self.folder / f"{letter_id}.pdf", pdf)
        _write_atomically(
            self.folder / f"{letter_id}.json", json.dumps(note, ensure_ascii=False).encode()
        )
        return Submission(reference=str(letter_id), status="submitted")


def _write_atomically(path: Path, data: bytes) -> None:
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
