"""The inbox: requests awaiting the viewer's decision (also as substitute), and bulk approval."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from godkend.domain.engine import Verdict
from godkend.services import queries, workflows
from godkend.services.bulk import MAX_BULK, do_decide_requests
from godkend.web import viewer as v
from godkend.web.messages import translate_error
from godkend.web.posted import posted_int
from godkend.web.templating import Page, open_page, render

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class BulkFailure:
    reference: str
    reason: str


async def workflow_titles(page: Page) -> dict[str, str]:
    """Each published workflow's title in the page's language, by key."""
    published = await workflows.list_latest(v.services_of(page.request))
    return {p.key: p.definition.title.in_language(page.language) for p in published}


async def _inbox_page(
    page: Page, *, failures: list[BulkFailure] | None = None, approved: int = 0
) -> Response:
    assert page.viewer is not None
    svc = v.services_of(page.request)
    rows, _ = await queries.inbox(svc, actor=page.viewer.actor)
    return render(
        page,
        "inbox.html",
        title=page.gettext("Inbox"),
        nav="inbox",
        status_code=422 if failures else 200,
        rows=rows,
        titles=await workflow_titles(page),
        failures=failures or [],
        approved=approved,
    )


@router.get("/inbox")
async def inbox(request: Request) -> Response:
    page = await open_page(request)
    _add_done_notice(page)
    return await _inbox_page(page)


def _add_done_notice(page: Page) -> None:
    count = posted_int(page.request.query_params.get("approved"))
    if count:
        page.notices.append(
            ("success", page.gettext("%(count)s request(s) approved.") % {"count": count})
        )


@router.post("/inbox/approve")
async def bulk_approve(request: Request) -> Response:
    """Approve each chosen request at the version the viewer saw; report the ones that failed."""
    page = await open_page(request)
    assert page.viewer is not None
    form = await request.form()
    v.check_csrf(request, form)
    chosen = _chosen(form)
    if not chosen:
        page.notices.append(("error", page.gettext("Choose at least one request to approve.")))
        return await _inbox_page(page)
    results = await do_decide_requests(
        v.services_of(request),
        list(chosen),
        verdict=Verdict.APPROVE,
        comment="",
        versions={i: version for i, (version, _) in chosen.items() if version is not None},
        actor=page.viewer.actor,
    )
    failures = [
        BulkFailure(
            chosen[r.request_id][1], translate_error(r.error, page.gettext, language=page.language)
        )
        for r in results
        if r.error is not None
    ]
    approved = len(results) - len(failures)
    if failures:
        return await _inbox_page(page, failures=failures, approved=approved)
    return RedirectResponse(f"/inbox?approved={approved}", status_code=303)


def _chosen(form: Any) -> dict[int, tuple[int | None, str]]:
    """Each ticked row once: id -> (version seen, reference); anything malformed is ignored."""
    chosen: dict[int, tuple[int | None, str]] = {}
    for value in form.getlist("ids")[:MAX_BULK]:
        request_id = posted_int(value)
        if request_id is None or request_id in chosen:
            continue
        reference = form.get(f"ref-{request_id}")
        chosen[request_id] = (
            posted_int(form.get(f"version-{request_id}")),
            reference[:40] if isinstance(reference, str) else str(request_id),
        )
    return chosen
