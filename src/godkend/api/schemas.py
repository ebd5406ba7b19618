"""The JSON bodies the API accepts and returns (names follow XCreate / XPublic)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


def _storable(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate such as "\ud800"
        return False
    return True


def _unstorable_text(value: object) -> str | None:
    """Where in `value` a string sits that PostgreSQL cannot store ("" for `value` itself).

    Text fields refuse lone surrogates when parsed, but strings inside free-form JSON (the
    form's `fields`) arrive as they are; neither they nor NUL can go to the database, nor be
    echoed in an error response.
    """
    stack: list[tuple[str, object]] = [("", value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str) and not _storable(item):
            return where
        if isinstance(item, dict):
            for key, child in item.items():
                if isinstance(key, str) and not _storable(key):
                    return where
                stack.append((f"{where}.{key}" if where else str(key), child))
        elif isinstance(item, list):
            stack.extend((f"{where}[{i}]", child) for i, child in enumerate(item))
    return None


class UnstorableText(ValueError):
    """Text PostgreSQL cannot store; `where` is its path inside the field ("" for the field)."""

    def __init__(self, where: str) -> None:
        super().__init__("must not contain NUL or unpaired surrogate characters")
        self.where = where


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _storable_text(cls, value: object) -> object:
        # Refuse what PostgreSQL cannot store here, where the error can name the field.
        where = _unstorable_text(value)
        if where is not None:
            raise UnstorableText(where)
        return value


class LoginCreate(Body):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class TokenCreate(Body):
    name: str = Field(min_length=1, max_length=100)
    expires_in_days: int | None = Field(default=None, ge=1, le=366)


class TokenPublic(BaseModel):
    id: int
    token: str


class MePublic(BaseModel):
    id: int
    username: str
    name: str
    email: str
    org_unit: str
    roles: list[str]


class LoginPublic(BaseModel):
    user: MePublic
    csrf_token: str


class CsrfPublic(BaseModel):
    csrf_token: str


class RequestCreate(Body):
    workflow: str = Field(min_length=1, max_length=64)
    title: str = Field(min_length=1, max_length=200)
    fields: dict[str, Any]


class DecisionCreate(Body):
    decision: Literal["approve", "reject", "return"]
    comment: str = Field(default="", max_length=10000)
    version: int | None = Field(default=None, ge=1)


class VersionBody(Body):
    version: int | None = Field(default=None, ge=1)


class ResubmitBody(Body):
    version: int | None = Field(default=None, ge=1)
    title: str | None = Field(default=None, min_length=1, max_length=200)
    fields: dict[str, Any] | None = None


class CommentCreate(Body):
    body: str = Field(min_length=1, max_length=10000)


class Person(BaseModel):
    id: int
    name: str


class PendingApprover(Person):
    """Who a request awaits; `on_behalf_of` is the absent approver a substitute acts for."""

    on_behalf_of: Person | None = None


class WorkflowRef(BaseModel):
    key: str
    version: int


class StepProgress(BaseModel):
    key: str
    status: str
    approvals: int
    needed: int


class RequestPublic(BaseModel):
    id: int
    reference_number: str
    workflow: WorkflowRef
    title: str
    fields: dict[str, Any]
    status: str
    current_step: str | None
    steps: list[StepProgress]
    requester: Person
    pending_approvers: list[PendingApprover]
    version: int
    created_at: datetime
    updated_at: datetime


class RequestPage(BaseModel):
    data: list[RequestPublic]
    next_cursor: str | None


class HistoryEntry(BaseModel):
    id: int
    action: str
    actor: Person | None
    at: datetime
    data: dict[str, Any]
    hash: str
    verified: bool
