"""The tokens the API fuzzing acts with (tests/e2e/test_openapi_contract.py).

One place, so that who the fuzzer is can grow without touching its checks: one
token per role today; with teams, tokens of two teams go here (a `team` each),
and the checks that hold per role hold for them too.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.infra.auth import Role
from services.wiring.hub import Hub


@dataclass(frozen=True)
class FuzzToken:
    name: str  # also the token's name in the hub
    role: Role
    token: str

    @property
    def may_write(self) -> bool:
        return self.role != Role.AUDITOR


def fuzz_tokens(hub: Hub) -> list[FuzzToken]:
    """A token for each role, made in `hub`."""
    return [
        FuzzToken(f"{role}.fuzz", role, hub.tokens.create(role, f"{role}.fuzz")) for role in Role
    ]
