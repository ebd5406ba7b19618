"""My requests, one request's page, and the moves on it (decide, withdraw, resubmit, comment)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from godkend.domain.engine import Verdict
from godkend.domain.errors import Conflict, GodkendError, InvalidInput, InvalidInputs, NotFound
from godkend.domain.workflow import WorkflowDefinition
from godkend.services import queries, workflows
from godkend.services import requests as actions
from godkend.web import formfields, request_view
from godkend.web import viewer as v
from godkend.web.labels import N_
from godkend.web.messages import FieldError, field_errors, translate_error
from godkend.web.pages.inbox import workflow_titles
from godkend.web.posted import posted_int, posted_text
from godkend.web.templating import Page, open_page, render

router = APIRouter(include_in_schema=False)

RequestId = Annotated[int, Path(ge=1, le=2**63 - 1)]
PAGE_SIZE = 25
MAX_COMMENT = 10_000

DONE = {
    "submit": N_("Your request has been submitted."),
    "approve": N_("You approved the request."),
    "reject": N_("You rejected the request."),
    "return": N_("You returned the request for changes."),
    "withdraw": N_("You withdrew the request."),
    "resubmit": N_("You resubmitted the request."),
    "comment": N_("Your comment was added."),
}


@router.get("/requests")
async def my_requests(request: Request, status: str = "", cursor: str = "") -> Response:
    page = await open_page(request)
    return await render_request_list(
        page,
        request,
        mine=True,
        status=status,
        cursor=cursor,
        page_size=PAGE_SIZE,
        template="my_requests.html",
        title=page.gettext("My requests"),
        nav="mine",
    )


async def render_request_list(
    page: Page,
    request: Request,
    *,
    mine: bool,
    status: str,
    cursor: str,
    page_size: int,
    template: str,
    title: str,
    nav: str,
) -> Response:
    """A page of requests the viewer may see (their own with `mine`), filtered by status."""
    assert page.viewer is not None
    rows, next_cursor = await queries.list_requests(
        v.services_of(request),
        actor=page.viewer.actor,
        mine=mine,
        status=status if status in queries.STATUSES else None,
        limit=page_size,
        cursor=cursor if posted_int(cursor) else None,
    )
    return render(
        page,
        template,
        title=title,
        nav=nav,
        rows=rows,
        titles=await workflow_titles(page),
        statuses=queries.STATUSES,
        status=status,
        next_cursor=next_cursor,
    )


async def _definition(page: Page, key: str) -> WorkflowDefinition | None:
    try:
        latest, _ = await workflows.get_latest(v.services_of(page.request), key)
    except NotFound:
        return None
    return latest.definition


async def detail_page(
    page: Page,
    request_id: int,
    *,
    errors: Sequence[FieldError] = (),
    typed: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    """The request as the viewer may see it; `typed` keeps what they typed into a failed form."""
    assert page.viewer is not None
    svc = v.services_of(page.request)
    data = await queries.get_request(svc, request_id, actor=page.viewer.actor)
    history = await queries.history(svc, request_id, actor=page.viewer.actor)
    definition = await _definition(page, data["workflow"]["key"])
    view = request_view.build(page, data, history, definition)
    typed = typed or {}
    resubmit_widgets: list[formfields.Widget] = []
    if view.moves.resubmit and definition is not None:
        raw = typed.get("fields") or formfields.stored_as_typed(
            definition, data["fields"], page.formats
        )
        resubmit_widgets = formfields.widgets(
            definition, language=page.language, formats=page.formats, raw=raw, errors=errors
        )
    return render(
        page,
        "request.html",
        title=f"{data['reference_number']} {data['title']}",
        nav="",
        status_code=status,
        view=view,
        r=data,
        errors={e.field: e.message for e in errors},
        typed=typed,
        resubmit_widgets=resubmit_widgets,
        resubmit_title=typed.get("title", data["title"]),
    )


@router.get("/requests/{request_id}")
async def detail(request: Request, request_id: RequestId, done: str = "") -> Response:
    page = await open_page(request)
    if done in DONE:
        page.notices.append(("success", page.gettext(DONE[done])))
    return await detail_page(page, request_id)


async def _form(request: Request) -> tuple[Page, FormData]:
    page = await open_page(request)
    form = await request.form()
    v.check_csrf(request, form)
    return page, form


def _version(form: FormData) -> int | None:
    return posted_int(form.get("version"))


def _text(form: FormData, name: str, limit: int = MAX_COMMENT) -> str:
    return posted_text(form.get(name), limit)


def _done(request_id: int, what: str) -> Response:
    return RedirectResponse(f"/requests/{request_id}?done={what}", status_code=303)


async def _failed(
    page: Page, request_id: int, error: GodkendError, *, typed: dict[str, Any]
) -> Response:
    """Show the request again with the error: next to its field, or as an alert."""
    if isinstance(error, InvalidInput | InvalidInputs):
        errors = field_errors(
            error, page.gettext, language=page.language, number=page.formats.number
        )
        return await detail_page(page, request_id, errors=errors, typed=typed, status=422)
    page.notices.append(("error", translate_error(error, page.gettext, language=page.language)))
    status = 409 if isinstance(error, Conflict) else 403
    return await detail_page(page, request_id, status=status)


@router.post("/requests/{request_id}/decision")
async def decide(request: Request, request_id: RequestId) -> Response:
    page, form = await _form(request)
    assert page.viewer is not None
    verdict = form.get("decision")
    comment = _text(form, "comment")
    if verdict not in ("approve", "reject", "return"):
        raise InvalidInput("choose approve, reject or return", field="decision")
    try:
        await actions.do_decide_request(
            v.services_of(request),
            request_id,
            verdict=Verdict(verdict),
            comment=comment,
            version=_version(form),
            actor=page.viewer.actor,
        )
    except (InvalidInput, InvalidInputs, Conflict) as error:
        return await _failed(page, request_id, error, typed={"comment": comment})
    return _done(request_id, str(verdict))


@router.post("/requests/{request_id}/withdraw")
async def withdraw(request: Request, request_id: RequestId) -> Response:
    page, form = await _form(request)
    assert page.viewer is not None
    try:
        await actions.do_withdraw_request(
            v.services_of(request), request_id, version=_version(form), actor=page.viewer.actor
        )
    except Conflict as error:
        return await _failed(page, request_id, error, typed={})
    return _done(request_id, "withdraw")


@router.post("/requests/{request_id}/resubmit")
async def resubmit(request: Request, request_id: RequestId) -> Response:
    page, form = await _form(request)
    assert page.viewer is not None
    data = await queries.get_request(v.services_of(request), request_id, actor=page.viewer.actor)
    definition = await _definition(page, data["workflow"]["key"])
    raw = formfields.raw_values(definition, form) if definition else {}
    title = _text(form, "title", 300)
    try:
        await actions.do_resubmit_request(
            v.services_of(request),
            request_id,
            title=title,
            fields=formfields.submission(definition, raw) if definition else None,
            version=_version(form),
            actor=page.viewer.actor,
        )
    except (InvalidInput, InvalidInputs, Conflict) as error:
        return await _failed(page, request_id, error, typed={"fields": raw, "title": title})
    return _done(request_id, "resubmit")


@router.post("/requests/{request_id}/comments")
async def comment(request: Request, request_id: RequestId) -> Response:
    page, form = await _form(request)
    assert page.viewer is not None
    body = _text(form, "body")
    try:
        if len(body) > MAX_COMMENT:
            raise InvalidInput(f"must be at most {MAX_COMMENT} characters", field="body")
        await actions.do_add_comment(
            v.services_of(request), request_id, body=body, actor=page.viewer.actor
        )
    except (InvalidInput, Conflict) as error:
        return await _failed(page, request_id, error, typed={"body": body})
    return _done(request_id, "comment")
