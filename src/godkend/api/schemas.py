"""The JSON bodies the API accepts and returns (names follow XCreate / XPublic)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


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
    pending_approvers: list[Person]
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
