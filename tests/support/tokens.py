"""The tokens the API fuzzing acts with (tests/e2e/test_openapi_contract.py).

One place, so that who the fuzzer is can grow without touching its checks: one
token per role, and two agents of two teams (`team`), one of which owns the
fuzzed hub's queues (`FUZZ_QUEUE_TEAMS`); the checks that hold per role hold for
them too, and the other team's agent meets 403s on those queues' cases.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.infra.auth import Role
from services.wiring.hub import Hub

# The queues the fuzzed hub gives to a team (its settings' `queue_teams`).
FUZZ_QUEUE_TEAMS = {"complaints": "team-a"}
FUZZ_TEAMS = ("team-a", "team-b")


@dataclass(frozen=True)
class FuzzToken:
    name: str  # also the token's name in the hub
    role: Role
    token: str
    team: str | None = None

    @property
    def may_write(self) -> bool:
        return self.role != Role.AUDITOR


def fuzz_tokens(hub: Hub) -> list[FuzzToken]:
    """A token for each role, and one for an agent of each of two teams, made in `hub`."""
    tokens = [
        FuzzToken(f"{role}.fuzz", role, hub.tokens.create(role, f"{role}.fuzz")) for role in Role
    ]
    for team in FUZZ_TEAMS:
        user = f"agent.{team}"
        hub.users.create(user, Role.AGENT, f"{user}-Passwort-1", team=team)
        name, token = hub.tokens.create_for_user(user, name=f"{user}.fuzz")
        tokens.append(FuzzToken(name, Role.AGENT, token, team))
    return tokens
