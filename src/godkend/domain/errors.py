"""The one exception tree of godkend: every error carries its data; the docstring is its message."""

from __future__ import annotations

from typing import Any


class GodkendError(Exception):
    """Something went wrong in godkend."""

    def __init__(self, message: str | None = None, **data: Any) -> None:
        self.data = data
        super().__init__(message or (self.__doc__ or type(self).__name__).strip())

    @property
    def message(self) -> str:
        return str(self)


class NotFound(GodkendError):
    """Not found."""


class NotAuthenticated(GodkendError):
    """Authentication is required."""


class Forbidden(GodkendError):
    """You are not allowed to do this."""


class InvalidInput(GodkendError):
    """The input is not valid."""

    def __init__(self, message: str | None = None, *, field: str, **data: Any) -> None:
        super().__init__(message, field=field, **data)
        self.field = field


class InvalidInputs(GodkendError):
    """Several inputs are not valid."""

    def __init__(self, errors: list[InvalidInput]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors


class Conflict(GodkendError):
    """The resource changed or is no longer in a state that allows this."""


class StaleVersion(Conflict):
    """The request was changed by someone else; reload it and try again."""


class IllegalMove(Conflict):
    """This move is not allowed in the request's current state."""

    def __init__(
        self, message: str | None = None, *, state: str, command: str, **data: Any
    ) -> None:
        super().__init__(
            message or f"cannot {command} a request that is {state}",
            state=state,
            command=command,
            **data,
        )
        self.state = state
        self.command = command


class NotAnApprover(Forbidden):
    """The request does not await your decision."""


class NotAwaitingYou(Conflict):
    """The request is not awaiting your decision."""


class SegregationOfDuties(Forbidden):
    """Segregation of duties: you may not decide this request."""


class NoApprover(InvalidInput):
    """Nobody can approve a step of this request."""


class InvalidDefinition(GodkendError):
    """The workflow definition is not valid."""

    def __init__(self, problems: list[str], *, source: str = "") -> None:
        super().__init__("\n".join(problems), source=source)
        self.problems = problems


class DatabaseUnavailable(GodkendError):
    """The database cannot be reached."""


class EmbeddedServerError(GodkendError):
    """The embedded PostgreSQL server could not be managed."""
