"""A call recording's audio, fetched from Twilio when an agent plays it.

Twilio keeps the media; the hub records only the RecordingSid (the
`RecordingAttached` event). The media URL is built from our own account and
that sid, never taken from the webhook's RecordingUrl, so a forged callback
cannot point the hub at another host. Twilio serves WAV at the bare URL and
MP3 with `.mp3`; WAV plays in every browser without a codec question.
"""

from __future__ import annotations

import re

import requests

from adapters.twilio_rest import DEFAULT_TIMEOUT_SECONDS

TWILIO_API = "https://api.twilio.com"
RECORDING_SID = re.compile(r"^RE[0-9a-fA-F]{32}$")
CONTENT_TYPE = "audio/wav"


def recording_media_url(api_base: str | None, account_sid: str, recording_sid: str) -> str:
    """Twilio's media URL of one recording (WAV)."""
    if not RECORDING_SID.match(recording_sid):
        raise ValueError(f"not a RecordingSid: {recording_sid!r}")
    base = (api_base or TWILIO_API).rstrip("/")
    return f"{base}/2010-04-01/Accounts/{account_sid}/Recordings/{recording_sid}.wav"


class RecordingUnavailable(Exception):
    """Twilio could not deliver a recording it holds (unreachable, 5xx, refused)."""


class TwilioRecordings:
    """Reads recording media with the account's credentials (HTTP basic auth)."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        api_base: str | None = None,
        *,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        if not account_sid or not auth_token:
            raise ValueError("account_sid and auth_token must be non-empty")
        self._account_sid = account_sid
        self._auth = (account_sid, auth_token)
        self._api_base = api_base
        self._timeout = timeout_seconds

    def fetch(self, recording_sid: str) -> bytes | None:
        """The audio, or None when Twilio has no such recording (deleted, say).
        Other failures raise `RecordingUnavailable`: a recording that is there
        must not read as gone."""
        url = recording_media_url(self._api_base, self._account_sid, recording_sid)
        try:
            response = requests.get(url, auth=self._auth, timeout=self._timeout)
        except requests.RequestException as exc:
            raise RecordingUnavailable(f"Twilio unreachable: {exc}") from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise RecordingUnavailable(f"Twilio answered HTTP {response.status_code}")
        return response.content
