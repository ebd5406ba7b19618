"""The workflow catalogue: every published workflow, its form, its steps and its diagram."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from godkend.domain.diagram import mermaid
from godkend.domain.errors import NotFound
from godkend.services import workflows
from godkend.services.workflows import Published
from godkend.web import diagram
from godkend.web import viewer as v
from godkend.web.labels import N_
from godkend.web.templating import Page, open_page, render

router = APIRouter(include_in_schema=False)

FIELD_TYPES = {
    "text": N_("Text"),
    "long_text": N_("Long text"),
    "number": N_("Number"),
    "amount": N_("Amount (DKK)"),
    "date": N_("Date"),
    "date_range": N_("Period"),
    "select": N_("Choice"),
    "multi_select": N_("Several choices"),
    "user": N_("Person"),
    "org_unit": N_("Organisational unit"),
    "yes_no": N_("Yes or no"),
}


@router.get("/workflows")
async def catalogue(request: Request) -> Response:
    page = await open_page(request)
    return render(
        page,
        "workflows.html",
        title=page.gettext("Workflows"),
        nav="workflows",
        workflows=await workflows_by_title(page, request),
    )


async def workflows_by_title(page: Page, request: Request) -> list[Published]:
    """The latest version of every workflow, ordered by title in the page's language."""
    published = await workflows.list_latest(v.services_of(request))
    return sorted(published, key=lambda p: p.definition.title.in_language(page.language))


@router.get("/workflows/{key}")
async def workflow(request: Request, key: str) -> Response:
    page = await open_page(request)
    try:
        published, versions = await workflows.get_latest(v.services_of(request), key)
    except NotFound:
        raise NotFound("no such workflow", key=key) from None
    definition = published.definition
    return render(
        page,
        "workflow.html",
        title=definition.title.in_language(page.language),
        nav="workflows",
        workflow=published,
        definition=definition,
        versions=versions,
        field_types={k: page.gettext(t) for k, t in FIELD_TYPES.items()},
        diagram=diagram.svg(
            definition, language=page.language, gettext=page.gettext, ident="diagram"
        ),
        outline=diagram.outline(definition, language=page.language, gettext=page.gettext),
        mermaid_source=mermaid(definition, language=page.language),
    )
