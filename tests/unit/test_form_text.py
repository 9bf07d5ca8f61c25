"""Webhook form fields read from their own bytes, strictly as UTF-8."""

from __future__ import annotations

import pytest

from services.entry.api.form_text import (
    NotUtf8,
    decode_field,
    multipart_text_fields,
    urlencoded_fields,
)


def test_urlencoded_fields_are_the_senders_bytes_percent_encoded_or_raw() -> None:
    body = b"Body=Gr%C3%BC%C3%9Fe+aus+K\xc3\xb6ln&From=%2B49151&Empty="
    fields = urlencoded_fields(body, max_fields=10)
    assert fields == [
        ("Body", "Grüße aus Köln".encode()),
        ("From", b"+49151"),
        ("Empty", b""),
    ]
    with pytest.raises(ValueError, match="more than 2 fields"):
        urlencoded_fields(body, max_fields=2)


def test_a_field_that_is_not_utf8_is_named() -> None:
    [(name, raw)] = urlencoded_fields(b"Body=Gr%FC%DFe", max_fields=10)
    with pytest.raises(NotUtf8, match="'Body' is not valid UTF-8"):
        decode_field(name, raw)


def test_multipart_text_fields_skip_files_and_keep_bytes() -> None:
    body = (
        b'--b\r\nContent-Disposition: form-data; name="subject"\r\n\r\nGr\xfc\xdfe\r\n'
        b'--b\r\nContent-Disposition: form-data; name="f"; filename="a.bin"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n\x00\x01\r\n"
        b"--b--\r\n"
    )
    assert multipart_text_fields("multipart/form-data; boundary=b", body) == [
        ("subject", b"Gr\xfc\xdfe")
    ]
