"""Bulk decisions: one decision on many requests, each in its own transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from godkend.domain.engine import Verdict
from godkend.domain.errors import GodkendError, InvalidInput
from godkend.domain.model import Actor
from godkend.services.context import Services
from godkend.services.requests import do_decide_request

MAX_BULK = 100


@dataclass(frozen=True)
class BulkResult:
    """What happened to one request: decided (error None) or refused with `error`."""

    request_id: int
    error: GodkendError | None = None


async def do_decide_requests(
    svc: Services,
    request_ids: Sequence[int],
    *,
    verdict: Verdict,
    comment: str,
    versions: Mapping[int, int] | None = None,
    actor: Actor,
) -> list[BulkResult]:
    """Decide each request in turn; one refused request does not stop or undo the others.

    `versions` (optional, per request id) refuses a request that changed since it was seen.
    """
    if not request_ids or len(request_ids) > MAX_BULK:
        raise InvalidInput(f"give between 1 and {MAX_BULK} request ids", field="request_ids")
    if len(set(request_ids)) != len(request_ids):
        raise InvalidInput("each request may be named once", field="request_ids")
    results: list[BulkResult] = []
    for request_id in request_ids:
        try:
            await do_decide_request(
                svc,
                request_id,
                verdict=verdict,
                comment=comment,
                version=(versions or {}).get(request_id),
                actor=actor,
            )
        except GodkendError as error:
            results.append(BulkResult(request_id, error))
        else:
            results.append(BulkResult(request_id))
    return results
