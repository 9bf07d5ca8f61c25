"""The errors every route can answer, documented in /openapi.json from one place.

Routes declare only their own errors (404 no such customer, 409 refused...).
What follows from how a route is built is added here, from its dependencies
and method, so no route can forget it:

- 401 on every route that needs a bearer token (it depends on `get_principal`),
- 403 on every route that needs a role that may act (`get_actor`; routes
  with another role check declare their own 403), and on every other route
  behind a token too: a partner token gets 403 outside the few routes open to
  partners (docs/partners.md),
- 400 (a body that cannot be parsed) and 413 (too large) on every route taking a body,
- and every error response gets the one error model, `ApiError`: `detail` is a
  sentence, or FastAPI's list of field errors for a 422.

FastAPI's default 422 promises the list only, but routes also answer 422 with
a sentence (e.g. an interaction that is not the customer's).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field

from services.entry.api.deps import get_actor, get_principal


class FieldError(BaseModel):
    loc: list[str | int] = Field(description="Where: `body`, `query`, `header`... and the field.")
    msg: str
    type: str


class ApiError(BaseModel):
    """Every error answer of the API and the webhooks."""

    detail: str | list[FieldError] = Field(
        description="Why the request was refused: a sentence, or the invalid fields."
    )


COMPONENTS = "#/components/schemas/{model}"
ERROR_CONTENT = {"application/json": {"schema": {"$ref": "#/components/schemas/ApiError"}}}
UNAUTHENTICATED = "Missing, invalid or revoked bearer token"
# A reading route refuses only partner tokens (services/entry/api/partner_gate.py).
PARTNERS_ONLY = "A partner token outside the routes open to partners (docs/partners.md)"
FORBIDDEN = (
    "The token's role may not do this (auditors only read; some need a supervisor),"
    " or the case's queue belongs to another team"
)
UNPARSEABLE = "The body cannot be parsed (e.g. not UTF-8)"
TOO_LARGE = "The body exceeds the route's limit (CONTACTHUB_MAX_BODY_BYTES, uploads more)"
INVALID = "A parameter or the body is invalid; `detail` says which and why"
BODY_METHODS = {"POST", "PUT", "PATCH"}


def document_errors(app: FastAPI, routers: Iterable[APIRouter]) -> None:
    """Makes app.openapi() add the errors above to FastAPI's document for the
    routes of `routers` (included without a further prefix). Once: it is cached."""
    generate = app.openapi
    routes = [r for router in routers for r in router.routes if isinstance(r, APIRoute)]

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            add_errors(generate(), routes)
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def add_errors(document: dict[str, Any], routes: list[APIRoute]) -> None:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    error = ApiError.model_json_schema(ref_template=COMPONENTS)
    schemas.update(error.pop("$defs"))
    schemas["ApiError"] = error
    for route in routes:
        if not route.include_in_schema:
            continue
        calls = set(dependency_calls(route.dependant))
        for method in route.methods or ():
            operation = document["paths"].get(route.path_format, {}).get(method.lower())
            if operation is None:
                continue
            responses: dict[str, Any] = operation.setdefault("responses", {})
            if get_principal in calls:
                responses.setdefault("401", {"description": UNAUTHENTICATED})
            if get_actor in calls:
                responses.setdefault("403", {"description": FORBIDDEN})
            elif get_principal in calls:
                responses.setdefault("403", {"description": PARTNERS_ONLY})
            if method in BODY_METHODS:
                responses.setdefault("413", {"description": TOO_LARGE})
                if route.body_field is not None:
                    responses.setdefault("400", {"description": UNPARSEABLE})
            if responses.get("422", {}).get("description") == "Validation Error":
                responses["422"]["description"] = INVALID
            for status, response in responses.items():
                declared = response.get("content") or {}
                if declared and "application/json" not in declared:
                    continue  # a page for a person (the survey links' HTML), as declared
                if status.startswith(("4", "5")):
                    response["content"] = ERROR_CONTENT


def dependency_calls(dependant: Dependant) -> Iterator[Any]:
    for dependency in dependant.dependencies:
        yield dependency.call
        yield from dependency_calls(dependency)
