"""CPython's email test corpus (test/test_email/data/msg_*.txt): 48 real and
odd messages that ship with the interpreter's test package. tests/run.sh
installs that package where a distribution splits it off."""

from __future__ import annotations

from pathlib import Path


def corpus_files() -> list[Path]:
    try:
        import test.test_email  # only tests need the stdlib's tests
    except ImportError as exc:  # a clear failure, never a silent skip
        raise AssertionError(
            "the interpreter's test package is missing (Debian: libpython3.X-testsuite); "
            "tests/run.sh installs it"
        ) from exc
    folder = Path(test.test_email.__file__).parent / "data"
    return sorted(folder.glob("msg_*.txt"))


def as_smtp_data(path: Path) -> bytes:
    """The message as it travels over SMTP: CRLF line endings."""
    return path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
