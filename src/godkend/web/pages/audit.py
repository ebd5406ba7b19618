"""The audit view: every request, for auditors only, filtered by status, newest first."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from godkend.domain.errors import Forbidden
from godkend.web.pages.requests import render_request_list
from godkend.web.templating import open_page

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50


@router.get("/audit")
async def audit(request: Request, status: str = "", cursor: str = "") -> Response:
    page = await open_page(request)
    assert page.viewer is not None
    if not page.viewer.is_auditor:
        raise Forbidden("the audit view is for auditors")
    return await render_request_list(
        page,
        request,
        mine=False,
        status=status,
        cursor=cursor,
        page_size=PAGE_SIZE,
        template="audit.html",
        title=page.gettext("Audit"),
        nav="audit",
    )
