"""The console's pure parts: the signed session cookie, CSRF comparison, the
language choice, and the inline SVG charts."""

from __future__ import annotations

from services.entry.console.charts import bar_chart
from services.entry.console.language import TEXTS, choose_language
from services.entry.console.routes.login import safe_next
from services.entry.console.session import (
    MAX_AGE_SECONDS,
    Session,
    SessionSigner,
    csrf_matches,
    new_session,
)

KEY = b"k" * 32
NOW = 1_800_000_000


def test_a_signed_session_reads_back_as_it_was() -> None:
    signer = SessionSigner(KEY)
    session = new_session(NOW, "anna")
    assert signer.loads(signer.dumps(session), NOW + 60) == session


def test_an_altered_or_foreign_cookie_is_no_session() -> None:
    signer = SessionSigner(KEY)
    cookie = signer.dumps(Session(csrf="c", issued_at=NOW, user="anna"))
    payload, _, mac = cookie.partition(".")
    forged = SessionSigner(b"another master key").dumps(Session("c", NOW, "admin"))
    assert signer.loads(forged, NOW) is None
    assert signer.loads(payload + "." + mac[:-2] + "AA", NOW) is None
    assert signer.loads(payload, NOW) is None
    assert signer.loads("", NOW) is None


def test_a_session_expires() -> None:
    signer = SessionSigner(KEY)
    cookie = signer.dumps(new_session(NOW, "anna"))
    assert signer.loads(cookie, NOW + MAX_AGE_SECONDS) is not None
    assert signer.loads(cookie, NOW + MAX_AGE_SECONDS + 1) is None


def test_each_login_gets_a_new_csrf_token() -> None:
    assert new_session(NOW, "anna").csrf != new_session(NOW, "anna").csrf


def test_csrf_must_match_the_session() -> None:
    session = Session(csrf="token-1", issued_at=NOW)
    assert csrf_matches(session, "token-1")
    assert not csrf_matches(session, "token-2")
    assert not csrf_matches(session, "")
    assert not csrf_matches(session, None)
    assert not csrf_matches(None, "token-1")


def test_the_language_comes_from_the_cookie_then_the_browser() -> None:
    assert choose_language("de", "en-GB,en;q=0.9") == "de"
    assert choose_language(None, "de-DE,de;q=0.9,en;q=0.8") == "de"
    assert choose_language(None, "fr-FR,en;q=0.5,de;q=0.7") == "de"
    assert choose_language(None, "fr-FR") == "en"
    assert choose_language("xx", None) == "en"
    assert choose_language(None, "de;q=0,en") == "en"


def test_both_languages_have_every_text() -> None:
    assert TEXTS["de"].keys() == TEXTS["en"].keys()


def test_login_sends_back_only_to_this_site() -> None:
    assert safe_next("/customers?q=a") == "/customers?q=a"
    assert safe_next("//evil.example/") == "/"
    assert safe_next("https://evil.example/") == "/"
    assert safe_next(None) == "/"


def test_a_chart_escapes_its_labels_and_scales_to_the_largest_bar() -> None:
    svg = str(bar_chart("Queues <x>", [("a<script>", 2), ("b", 4)]))
    assert "<script>" not in svg and "a&lt;script&gt;" in svg
    assert 'aria-label="Queues &lt;x&gt;"' in svg
    assert 'width="150.0"' in svg and 'width="300.0"' in svg
