"""A loopback stand-in for Twilio's REST API, for tests.

Twilio is a paid outside service, so tests point the real twilio client at this
server instead. It speaks api.twilio.com's wire format: form-encoded creates
under /2010-04-01/Accounts/{AccountSid}/, HTTP basic auth with the account sid
and auth token, the 2010-04-01 JSON resources and the legacy error body
(code, message, more_info, status) with Twilio's real error codes. It can also
play Twilio's side of a status callback: a form POST signed with
X-Twilio-Signature.

Shapes follow Twilio's published examples and recorded responses of a queued
message / call: counts are strings, dates RFC 2822, date_sent null until sent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import math
import re
import secrets
import threading
import wave
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal, Protocol, cast
from urllib.parse import parse_qs, urlsplit

import httpx
from twilio.request_validator import RequestValidator

API_VERSION = "2010-04-01"
_RECORDING = re.compile(
    r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Recordings/(?P<sid>RE[0-9a-fA-F]{32})\.wav$"
)
_ROUTE = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/(?P<resource>Messages|Calls)\.json$")
_E164 = re.compile(r"^\+[1-9]\d{1,14}$")
# Channel addresses Twilio accepts in To besides a bare E.164 number.
_MESSAGE_CHANNELS = ("whatsapp:", "messenger:", "rcs:")
_CALL_ADDRESS = re.compile(r"^(client:.+|sip:.+@.+)$")

# GSM 03.38: the basic set costs one septet, the extension set two (escape + char).
_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = frozenset("^{}\\[~]|€\f")

Kind = Literal["message", "call"]


class _Signer(Protocol):
    def compute_signature(self, uri: str, params: Mapping[str, str]) -> str: ...


class _SignerFactory(Protocol):
    def __call__(self, token: str) -> _Signer: ...


# twilio's RequestValidator carries no annotations; this is the part used here.
_new_signer = cast(_SignerFactory, RequestValidator)


@dataclass(frozen=True)
class RecordedRequest:
    """One create the stand-in accepted."""

    kind: Kind
    sid: str
    params: dict[str, str]  # the form, last value per name
    multi_params: dict[str, list[str]]  # the form, every value (MediaUrl, StatusCallbackEvent)
    resource: dict[str, Any] = field(repr=False)  # the JSON answered with 201


@dataclass(frozen=True)
class RejectedRequest:
    """One create the stand-in refused, with the Twilio error it answered."""

    path: str
    params: dict[str, str]
    status: int
    code: int


class _TwilioError(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
            "status": self.status,
        }


class TwilioStandIn:
    """Twilio's REST API on 127.0.0.1, one account, in a background thread."""

    def __init__(self, account_sid: str, auth_token: str) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._rejected: list[RejectedRequest] = []
        self._failures: deque[_TwilioError] = deque()
        self._recordings: dict[str, bytes] = {}
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> TwilioStandIn:
        if self._server is not None:
            raise RuntimeError("the Twilio stand-in is already running")
        server = _Server(("127.0.0.1", 0), _Handler)  # port 0: the OS picks a free one
        server.standin = self
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        thread.start()
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server, self._thread = None, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> TwilioStandIn:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the Twilio stand-in is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # -- what tests look at and steer ---------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every accepted create, oldest first (a copy)."""
        with self._lock:
            return list(self._requests)

    @property
    def messages(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.kind == "message"]

    @property
    def calls(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.kind == "call"]

    @property
    def rejected(self) -> list[RejectedRequest]:
        """Every create answered with an error (auth, validation, fail_next), oldest first."""
        with self._lock:
            return list(self._rejected)

    def find(self, sid: str) -> RecordedRequest:
        for recorded in self.requests:
            if recorded.sid == sid:
                return recorded
        raise KeyError(sid)

    def add_recording(self, sid: str, seconds: float = 1.0) -> bytes:
        """Holds a recording's media (a WAV tone) as Twilio would after a call;
        GET .../Recordings/{sid}.wav returns it. Returns the bytes."""
        audio = wav_tone(seconds)
        with self._lock:
            self._recordings[sid] = audio
        return audio

    def fail_next(self, status: int, code: int, message: str) -> None:
        """Answer the next create (message or call) with this Twilio error.

        Calls queue up: fail_next twice and the next two creates fail.
        """
        with self._lock:
            self._failures.append(_TwilioError(status, code, message))

    def send_status_callback(self, url: str, params: Mapping[str, str]) -> httpx.Response:
        """POST a status callback to `url` as Twilio does: a form, signed."""
        form = dict(params)
        signature = _new_signer(self.auth_token).compute_signature(url, form)
        headers = {
            "X-Twilio-Signature": signature,
            "User-Agent": "TwilioProxy/1.1",
            "I-Twilio-Idempotency-Token": secrets.token_hex(16),
        }
        return httpx.post(url, data=form, headers=headers, timeout=10.0)

    # -- request handling (runs on the server's threads) --------------------

    def _handle(self, method: str, path: str, auth: str | None, body: bytes) -> tuple[int, Any]:
        form = parse_qs(body.decode("utf-8"), keep_blank_values=True)
        params = {name: values[-1] for name, values in form.items()}
        try:
            if not self._authorised(auth):
                raise _TwilioError(401, 20003, "Authenticate")
            recording = _RECORDING.match(path)
            if method == "GET" and recording and recording["account"] == self.account_sid:
                with self._lock:
                    audio = self._recordings.get(recording["sid"])
                if audio is None:
                    raise _TwilioError(404, 20404, f"The requested resource {path} was not found")
                return 200, audio
            match = _ROUTE.match(path)
            if match is None or match["account"] != self.account_sid:
                raise _TwilioError(404, 20404, f"The requested resource {path} was not found")
            if method != "POST":
                raise _TwilioError(405, 20004, "Method not allowed")
            with self._lock:
                failure = self._failures.popleft() if self._failures else None
            if failure is not None:
                raise failure
            if match["resource"] == "Messages":
                resource = self._create_message(params, form)
                kind: Kind = "message"
            else:
                resource = self._create_call(params, form)
                kind = "call"
        except _TwilioError as error:
            with self._lock:
                self._rejected.append(RejectedRequest(path, params, error.status, error.code))
            return error.status, error.body()
        recorded = RecordedRequest(kind, resource["sid"], params, form, resource)
        with self._lock:
            self._requests.append(recorded)
        return 201, resource

    def _authorised(self, header: str | None) -> bool:
        if header is None or not header.startswith("Basic "):
            return False
        try:
            decoded = base64.b64decode(header[len("Basic ") :], validate=True).decode("utf-8")
        except ValueError:
            return False
        expected = f"{self.account_sid}:{self.auth_token}"
        return hmac.compare_digest(decoded.encode(), expected.encode())

    def _create_message(self, params: dict[str, str], form: dict[str, list[str]]) -> dict[str, Any]:
        to = params.get("To", "")
        from_ = params.get("From") or None
        service = params.get("MessagingServiceSid") or None
        body = params.get("Body", "")
        media = [url for url in form.get("MediaUrl", []) if url]
        if not to:
            raise _TwilioError(400, 21604, "A 'To' phone number is required.")
        if not _valid_message_to(to):
            raise _TwilioError(400, 21211, f"Invalid 'To' Phone Number: {to}")
        if from_ is None and service is None:
            raise _TwilioError(400, 21603, "A 'From' phone number is required.")
        if not body and not media and not params.get("ContentSid"):
            raise _TwilioError(400, 21602, "Message body is required.")
        sid = "SM" + secrets.token_hex(16)
        now = _rfc2822_now()
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}"
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": from_,
            "messaging_service_sid": service,
            "num_media": str(len(media)),
            # With a Messaging Service the sender (and so the encoding) is not chosen yet.
            "num_segments": "0" if service else str(_segments(body)),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            # A Messaging Service first "accepts", then queues once it has picked a sender.
            "status": "accepted" if service else "queued",
            "subresource_uris": {"media": f"{uri}/Media.json"},
            "to": to,
            "uri": f"{uri}.json",
        }

    def _create_call(self, params: dict[str, str], form: dict[str, list[str]]) -> dict[str, Any]:
        to = params.get("To", "")
        from_ = params.get("From", "")
        if not to:
            raise _TwilioError(400, 21201, "No 'To' number is specified")
        if not (_E164.match(to) or _CALL_ADDRESS.match(to)):
            raise _TwilioError(400, 21211, f"Invalid 'To' Phone Number: {to}")
        if not from_:
            raise _TwilioError(400, 21213, "No 'From' number is specified")
        if not (params.get("Url") or params.get("Twiml") or params.get("ApplicationSid")):
            raise _TwilioError(400, 21205, "Url parameter is required.")
        sid = "CA" + secrets.token_hex(16)
        now = _rfc2822_now()
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Calls/{sid}"
        subresources = (
            ("events", "Events"),
            ("notifications", "Notifications"),
            ("payments", "Payments"),
            ("recordings", "Recordings"),
            ("siprec", "Siprec"),
            ("streams", "Streams"),
            ("transcriptions", "Transcriptions"),
            ("user_defined_message_subscriptions", "UserDefinedMessageSubscriptions"),
            ("user_defined_messages", "UserDefinedMessages"),
        )
        return {
            "account_sid": self.account_sid,
            "answered_by": None,
            "api_version": API_VERSION,
            "caller_name": None,
            "date_created": now,
            "date_updated": now,
            "direction": "outbound-api",
            "duration": None,
            "end_time": None,
            "forwarded_from": None,
            "from": from_,
            "from_formatted": _formatted(from_),
            "group_sid": None,
            "parent_call_sid": None,
            # Twilio names the incoming-number resource of From; stable per number here.
            "phone_number_sid": "PN" + hashlib.md5(from_.encode()).hexdigest(),
            "price": None,
            "price_unit": "USD",
            "queue_time": "0",
            "sid": sid,
            "start_time": None,
            "status": "queued",
            "subresource_uris": {key: f"{uri}/{name}.json" for key, name in subresources},
            "to": to,
            "to_formatted": _formatted(to),
            "trunk_sid": None,
            "uri": f"{uri}.json",
        }


def message_status_params(
    message: RecordedRequest | Mapping[str, Any],
    status: str,
    error_code: int | str | None = None,
) -> dict[str, str]:
    """The form Twilio posts to a message's StatusCallback when it reaches `status`.

    `message` is a recorded message or its JSON resource.
    """
    resource = message.resource if isinstance(message, RecordedRequest) else message
    params = {
        "AccountSid": str(resource["account_sid"]),
        "ApiVersion": API_VERSION,
        "From": str(resource["from"] or ""),
        "MessageSid": str(resource["sid"]),
        "MessageStatus": status,
        "SmsSid": str(resource["sid"]),
        "SmsStatus": status,
        "To": str(resource["to"]),
    }
    if resource.get("messaging_service_sid"):
        params["MessagingServiceSid"] = str(resource["messaging_service_sid"])
    if error_code is not None:
        params["ErrorCode"] = str(error_code)
    return params


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    standin: TwilioStandIn


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.0: one request per connection, so no pooled connection outlives stop().
    protocol_version = "HTTP/1.0"
    server: _Server

    def do_POST(self) -> None:
        self._serve("POST")

    def do_GET(self) -> None:
        self._serve("GET")

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path
        status, payload = self.server.standin._handle(
            method, path, self.headers.get("Authorization"), body
        )
        # Media (a recording) goes out as it is; resources and errors as JSON.
        media = isinstance(payload, bytes)
        encoded = payload if media else json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header(
            "Content-Type", "audio/x-wav" if media else "application/json; charset=utf-8"
        )
        self.send_header("Content-Length", str(len(encoded)))
        self.send_header("Twilio-Request-Id", "RQ" + secrets.token_hex(16))
        self.end_headers()
        self.wfile.write(encoded)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep the test output clean; rejected/requests hold what happened


def wav_tone(seconds: float, rate: int = 8000) -> bytes:
    """A 440 Hz tone as 8 kHz mono 16-bit PCM WAV, the shape of Twilio's recordings."""
    frames = bytearray()
    for n in range(int(seconds * rate)):
        sample = int(8000 * math.sin(2 * math.pi * 440 * n / rate))
        frames += sample.to_bytes(2, "little", signed=True)
    out = io.BytesIO()
    with wave.open(out, "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(rate)
        file.writeframes(bytes(frames))
    return out.getvalue()


def _valid_message_to(to: str) -> bool:
    for channel in _MESSAGE_CHANNELS:
        if to.startswith(channel):
            to = to[len(channel) :]
            break
    return _E164.match(to) is not None


def _rfc2822_now() -> str:
    return format_datetime(datetime.now(UTC).replace(microsecond=0))


def _formatted(number: str) -> str:
    # Twilio shows North American numbers as (415) 867-5309, others unchanged.
    if re.fullmatch(r"\+1\d{10}", number):
        return f"({number[2:5]}) {number[5:8]}-{number[8:]}"
    return number


def _segments(body: str) -> int:
    if all(ch in _GSM_BASIC or ch in _GSM_EXTENDED for ch in body):
        septets = sum(2 if ch in _GSM_EXTENDED else 1 for ch in body)
        single, multi = 160, 153
    else:
        septets = len(body.encode("utf-16-le")) // 2
        single, multi = 70, 67
    if septets <= single:
        return 1
    return math.ceil(septets / multi)
