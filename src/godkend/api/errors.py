"""The one place errors become HTTP: problem JSON (RFC 9457) with the field named where known."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from godkend.api.schemas import UnstorableText
from godkend.domain import errors as e

PROBLEM = "application/problem+json"

# Most specific first: the first class an error is an instance of decides its status.
STATUS: tuple[tuple[type[e.GodkendError], int], ...] = (
    (e.NotAuthenticated, 401),
    (e.Forbidden, 403),
    (e.NotFound, 404),
    (e.Conflict, 409),
    (e.InvalidInput, 422),
    (e.InvalidInputs, 422),
    (e.InvalidDefinition, 422),
    (e.DatabaseUnavailable, 503),
)


def _kebab(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def godkend_problem(error: e.GodkendError) -> JSONResponse:
    status = next((code for cls, code in STATUS if isinstance(error, cls)), 500)
    extra: dict[str, Any] = {"type": f"urn:godkend:problem:{_kebab(type(error).__name__)}"}
    if isinstance(error, e.InvalidInput):
        extra["field"] = error.field
        extra["errors"] = [{"field": error.field, "message": error.message}]
    elif isinstance(error, e.InvalidInputs):
        extra["field"] = error.errors[0].field if error.errors else None
        extra["errors"] = [{"field": x.field, "message": x.message} for x in error.errors]
    elif isinstance(error, e.InvalidDefinition):
        extra["errors"] = [{"message": p} for p in error.problems]
    if isinstance(error, e.IllegalMove):
        extra.update(state=error.state, command=error.command)
    title = (type(error).__doc__ or type(error).__name__).strip().splitlines()[0]
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    response = problem(status, title, error.message, **extra)
    if headers:
        response.headers.update(headers)
    return response


def _field_of(error: Mapping[str, Any]) -> str:
    loc = tuple(error["loc"])
    if error.get("type") == "json_invalid":
        return "body"  # its loc is ("body", <character offset>): no field to name
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, UnstorableText) and cause.where:
        parts.append(cause.where)  # e.g. fields.note, not just fields
    return ".".join(parts) or str(loc[0] if loc else "body")


def install(app: FastAPI) -> None:
    async def on_godkend(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, e.GodkendError)
        return godkend_problem(exc)

    async def on_validation(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [{"field": _field_of(x), "message": x["msg"]} for x in exc.errors()]
        detail = "; ".join(f"{x['field']}: {x['message']}" for x in errors)
        field = errors[0]["field"] if errors else None
        return problem(422, "The input is not valid.", detail, field=field, errors=errors)

    async def on_http(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 400:
            # FastAPI's "error parsing the body" (JSON nested too deep, a 5000-digit number):
            # invalid input like any other malformed JSON.
            return problem(422, "The input is not valid.", str(exc.detail), field="body")
        return problem(exc.status_code, str(exc.detail), str(exc.detail))

    app.add_exception_handler(e.GodkendError, on_godkend)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
