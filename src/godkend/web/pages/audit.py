"""The audit view: every request, for auditors only, filtered by status, newest first."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from godkend.domain.errors import Forbidden
from godkend.services import queries
from godkend.web import viewer as v
from godkend.web.pages.inbox import workflow_titles
from godkend.web.posted import posted_int
from godkend.web.templating import open_page, render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50


@router.get("/audit")
async def audit(request: Request, status: str = "", cursor: str = "") -> Response:
    page = await open_page(request)
    assert page.viewer is not None
    if not page.viewer.is_auditor:
        raise Forbidden("the audit view is for auditors")
    rows, next_cursor = await queries.list_requests(
        v.services_of(request),
        actor=page.viewer.actor,
        mine=False,
        status=status if status in queries.STATUSES else None,
        limit=PAGE_SIZE,
        cursor=cursor if posted_int(cursor) else None,
    )
    return render(
        page,
        "audit.html",
        title=page.gettext("Audit"),
        nav="audit",
        rows=rows,
        titles=await workflow_titles(page),
        statuses=queries.STATUSES,
        status=status,
        next_cursor=next_cursor,
    )
