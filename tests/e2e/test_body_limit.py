"""Request bodies are bounded before they are read (issue 13, item 1).

A real `contacthub serve` process on loopback: a 100 MB body, declared or
chunked, is refused with a JSON 413 and the server's peak memory does not grow
by anything like the body's size. Before the limit, the SMS webhook read the
whole body into memory (the process grew by about 400 MiB) to answer 403.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from tests.support.hub import ACCOUNT_SID, AUTH_TOKEN, wait_until
from tests.support.ports import free_port

CLI = str(Path(sys.executable).parent / "contacthub")
LIMIT = 256 * 1024
UPLOAD_LIMIT = 2 * 1024 * 1024
BODY = 100 * 1024 * 1024
CHUNK = 64 * 1024
# Far below the body: what the server may allocate for the test's requests
# (buffers, a response) without having held the body.
MEMORY_SLACK = 32 * 1024 * 1024


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[int, int]]:
    """(port, pid) of a `contacthub serve` with small, distinct limits. One per
    test: the peak memory a test measures is its own."""
    workdir = tmp_path
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTACTHUB_")}
    env |= {
        "CONTACTHUB_DATA_DIR": str(workdir / "data"),
        "CONTACTHUB_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "CONTACTHUB_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "CONTACTHUB_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "CONTACTHUB_MAX_BODY_BYTES": str(LIMIT),
        "CONTACTHUB_MAX_UPLOAD_BYTES": str(UPLOAD_LIMIT),
    }
    log = (workdir / "serve.log").open("wb")
    proc = subprocess.Popen(
        [CLI, "serve", "--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
        env=env,
        cwd=workdir,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )

    def ready() -> bool:
        assert proc.poll() is None, (workdir / "serve.log").read_text()[-2000:]
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    try:
        # A start-up wait, not a figure: on a loaded 2-core machine `serve` can take 30 s+.
        wait_until(ready, timeout=120, interval=0.1)
        # What the first webhook request loads (lazy imports, caches) is not
        # what the memory assertions are about: loaded before they measure.
        httpx.post(
            f"http://127.0.0.1:{port}/webhooks/twilio/sms",
            data={"Body": "warm-up"},
            headers={"X-Twilio-Signature": "not-a-signature"},
            timeout=10,
        )
        yield port, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def peak_memory(pid: int) -> int:
    """The process's peak resident set (VmHWM) in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc status")


def send_large(port: int, path: str, *, chunked: bool) -> tuple[int, dict[str, object]]:
    """POSTs BODY bytes (declared or chunked) from a thread while reading the
    answer; returns its status and JSON. The sender stops when the server
    closes the connection."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {BODY}"
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"X-Twilio-Signature: not-a-signature\r\n{framing}\r\n\r\n"
    )
    sock.sendall(head.encode())
    chunk = b"a" * CHUNK

    def body() -> None:
        with contextlib.suppress(OSError):  # the server hung up: what the test wants
            for _ in range(BODY // CHUNK):
                sock.sendall(b"%x\r\n%s\r\n" % (CHUNK, chunk) if chunked else chunk)
            if chunked:
                sock.sendall(b"0\r\n\r\n")

    sender = threading.Thread(target=body, daemon=True)
    sender.start()
    try:
        response = http.client.HTTPResponse(sock)
        response.begin()
        answer = orjson.loads(response.read())
        status = response.status
    finally:
        sock.close()
        sender.join(timeout=30)
    return status, answer


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_huge_webhook_body_is_refused_without_being_read(
    server: tuple[int, int], chunked: bool
) -> None:
    port, pid = server
    before = peak_memory(pid)
    status, answer = send_large(port, "/webhooks/twilio/sms", chunked=chunked)
    assert status == 413
    assert str(LIMIT) in str(answer["detail"])
    grown = peak_memory(pid) - before
    assert grown < MEMORY_SLACK, f"the server's peak memory grew by {grown} bytes"


def test_every_route_has_the_limit_and_uploads_a_larger_one(server: tuple[int, int]) -> None:
    port, _ = server
    base = f"http://127.0.0.1:{port}"
    over = b"x" * (LIMIT + 1)
    with httpx.Client(base_url=base, timeout=10) as client:
        # A JSON route, a form webhook, a route without a body: all refuse it first.
        for path in (
            "/api/v1/complaints",
            "/webhooks/post/status",
            "/webhooks/twilio/voice",
            "/api/v1/customers/00000000-0000-0000-0000-000000000000/consent",
        ):
            method = "PUT" if path.endswith("/consent") else "POST"
            response = client.request(
                method, path, content=over, headers={"Content-Type": "application/json"}
            )
            assert response.status_code == 413, (path, response.text)
            assert response.json()["detail"].endswith(f"{LIMIT} bytes")
        # An upload route takes the same body to its own checks (no token: 401) ...
        response = client.post(
            "/api/v1/letters/inbound",
            files={"file": ("scan.pdf", over, "application/pdf")},
            data={"scan_id": "s1", "sender_name": "A", "street": "B 1"}
            | {"postal_code": "10115", "city": "Berlin"},
        )
        assert response.status_code == 401, response.text
        # ... up to its own, larger limit.
        response = client.post(
            "/webhooks/email/mailgun",
            content=b"x" * (UPLOAD_LIMIT + 1),
            headers={"Content-Type": "multipart/form-data; boundary=x"},
        )
        assert response.status_code == 413
        assert response.json()["detail"].endswith(f"{UPLOAD_LIMIT} bytes")


def test_a_body_within_the_limit_still_reaches_the_signature_check(
    server: tuple[int, int],
) -> None:
    port, _ = server
    response = httpx.post(
        f"http://127.0.0.1:{port}/webhooks/twilio/sms",
        content=b"Body=" + b"a" * (LIMIT - 10),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": "not-a-signature",
        },
        timeout=10,
    )
    assert response.status_code == 403
