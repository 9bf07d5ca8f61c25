"""Canned responses: templates with placeholders, per language, for every channel.

Templates are Jinja2 files named `<key>.<language>.j2` whose first line is
`{# title: ... #}`; the built-in ones live beside this module, and a folder
(CONTACTHUB_CANNED_RESPONSES_DIR) can add or override them. They render in a
sandbox with plain-text output (no HTML escaping: SMS and letters are text),
and may use only the placeholders in PLACEHOLDERS, checked when loading.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import TemplateSyntaxError, meta
from jinja2.sandbox import SandboxedEnvironment

BUILT_IN = Path(__file__).parent / "canned"
PLACEHOLDERS: dict[str, str] = {
    "customer_name": "the customer's name as known (may be empty)",
    "case_number": "the case number, e.g. R-2026-000123",
    "agent_name": "the replying agent",
    "product": "the case's product (may be empty)",
    "category": "the case's reason category (may be empty)",
    "queue": "the case's queue",
}
_NAME = re.compile(r"^(?P<key>[a-z0-9_-]+)\.(?P<language>[a-z]{2})\.j2$")
_TITLE = re.compile(r"^\{#\s*title:\s*(?P<title>.*?)\s*#\}\s*\n?")


class TemplateError(ValueError):
    """A template is unusable; the message names the file and the problem."""


class UnknownTemplate(LookupError):
    pass


@dataclass(frozen=True)
class CannedResponse:
    key: str
    language: str
    title: str
    text: str
    placeholders: tuple[str, ...]


class CannedResponses:
    def __init__(self, extra_dir: Path | None = None) -> None:
        self.env = SandboxedEnvironment(autoescape=False, keep_trailing_newline=False)
        self.templates: dict[tuple[str, str], CannedResponse] = {}
        for folder in (BUILT_IN, extra_dir):
            if folder is not None:
                self._load(folder)

    def _load(self, folder: Path) -> None:
        if not folder.is_dir():
            raise TemplateError(f"canned responses folder {folder} does not exist")
        for path in sorted(folder.glob("*.j2")):
            match = _NAME.match(path.name)
            if match is None:
                raise TemplateError(f"{path}: name it <key>.<language>.j2, e.g. thanks.de.j2")
            raw = path.read_text(encoding="utf-8")
            title = _TITLE.match(raw)
            text = raw[title.end() :] if title else raw
            try:
                used = meta.find_undeclared_variables(self.env.parse(text))
            except TemplateSyntaxError as exc:
                raise TemplateError(f"{path}: {exc}") from None
            unknown = sorted(used - PLACEHOLDERS.keys())
            if unknown:
                raise TemplateError(
                    f"{path}: unknown placeholders {', '.join(unknown)}; "
                    f"use {', '.join(PLACEHOLDERS)}"
                )
            key, language = match["key"], match["language"]
            self.templates[(key, language)] = CannedResponse(
                key=key,
                language=language,
                title=title["title"] if title else key,
                text=text.strip(),
                placeholders=tuple(sorted(used)),
            )

    def all(self, language: str | None = None) -> list[CannedResponse]:
        return [
            t
            for (_, lang), t in sorted(self.templates.items())
            if language is None or lang == language
        ]

    def pick(self, key: str, language: str | None, fallback: str = "de") -> CannedResponse:
        """The template in the language asked, else the fallback, else any."""
        for lang in (language, fallback):
            if lang and (key, lang) in self.templates:
                return self.templates[(key, lang)]
        for (k, _), template in sorted(self.templates.items()):
            if k == key:
                return template
        raise UnknownTemplate(f"no canned response {key!r}")

    def render(self, template: CannedResponse, values: Mapping[str, Any]) -> str:
        context = {name: values.get(name) or "" for name in PLACEHOLDERS}
        return self.env.from_string(template.text).render(context).strip()
