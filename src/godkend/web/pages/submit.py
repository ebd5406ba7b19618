"""A new request: choose a workflow, fill in the form generated from its definition, submit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from godkend.domain.errors import InvalidInput, InvalidInputs, NotFound
from godkend.domain.forms import validate_fields
from godkend.domain.workflow import WorkflowDefinition
from godkend.services import requests as actions
from godkend.services import workflows
from godkend.services.workflows import Published
from godkend.web import formfields
from godkend.web import viewer as v
from godkend.web.messages import FieldError, field_errors
from godkend.web.pages.catalogue import workflows_by_title
from godkend.web.templating import Page, open_page, render

router = APIRouter(include_in_schema=False)

MAX_TITLE_INPUT = 300


@router.get("/requests/new")
async def choose(request: Request) -> Response:
    page = await open_page(request)
    return render(
        page,
        "new_choose.html",
        title=page.gettext("New request"),
        nav="new",
        workflows=await workflows_by_title(page, request),
    )


async def _published(page: Page, key: str) -> Published:
    try:
        latest, _ = await workflows.get_latest(v.services_of(page.request), key)
    except NotFound:
        raise NotFound("no such workflow", key=key) from None
    return latest


def _form_page(
    page: Page,
    published: Published,
    *,
    raw: Mapping[str, Any],
    title: str,
    errors: Sequence[FieldError] = (),
    status: int = 200,
) -> Response:
    definition = published.definition
    widgets = formfields.widgets(
        definition, language=page.language, formats=page.formats, raw=raw, errors=errors
    )
    title_error = next((e.message for e in errors if e.field == "title"), "")
    summary = ([("f-title", f"{page.gettext('Title')}: {title_error}")] if title_error else []) + [
        *formfields.summary_links(widgets)
    ]
    general = formfields.unplaced_errors(errors, placed=widgets, others=("title",))
    name = definition.title.in_language(page.language)
    return render(
        page,
        "new_form.html",
        title=page.gettext("New request: %(workflow)s") % {"workflow": name},
        nav="new",
        status_code=status,
        workflow=published,
        workflow_title=name,
        description=definition.description.in_language(page.language),
        widgets=widgets,
        request_title=title,
        title_error=title_error,
        summary=summary,
        general_errors=[e.message for e in general],
    )


@router.get("/requests/new/{key}")
async def form(request: Request, key: str) -> Response:
    page = await open_page(request)
    published = await _published(page, key)
    return _form_page(page, published, raw={}, title="")


@router.post("/requests/new/{key}")
async def submit(request: Request, key: str) -> Response:
    page = await open_page(request)
    assert page.viewer is not None
    posted = await request.form()
    v.check_csrf(request, posted)
    published = await _published(page, key)
    raw = formfields.raw_values(published.definition, posted)
    values = formfields.submission(published.definition, raw)
    title_value = posted.get("title")
    title = title_value[:MAX_TITLE_INPUT] if isinstance(title_value, str) else ""
    try:
        request_id = await actions.do_submit_request(
            v.services_of(request),
            workflow=published.key,
            title=title,
            fields=values,
            actor=page.viewer.actor,
        )
    except (InvalidInput, InvalidInputs) as error:
        errors = _all_errors(page, error, published.definition, values)
        return _form_page(page, published, raw=raw, title=title, errors=errors, status=422)
    return RedirectResponse(f"/requests/{request_id}?done=submit", status_code=303)


def _all_errors(
    page: Page, error: InvalidInput | InvalidInputs, definition: WorkflowDefinition, values: Any
) -> list[FieldError]:
    """The engine stops at a bad title before it looks at the fields: report both at once."""
    errors = field_errors(error, page.gettext, language=page.language, number=page.formats.number)
    if isinstance(error, InvalidInput) and error.field == "title":
        try:
            validate_fields(definition, values)
        except InvalidInputs as more:
            errors += field_errors(
                more, page.gettext, language=page.language, number=page.formats.number
            )
    return errors
