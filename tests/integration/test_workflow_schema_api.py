"""The definition format and diagrams over HTTP: /workflows/schema and /workflows/{key}/diagram."""

from __future__ import annotations

import jsonschema
import yaml

from godkend.workflows import builtin_definition_texts
from tests.integration.clients import API, ClientFactory, assert_problem, login


async def test_the_schema_is_served_without_credentials(client_factory: ClientFactory) -> None:
    response = await client_factory().get(f"{API}/workflows/schema")
    assert response.status_code == 200, response.text
    schema = response.json()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "godkend workflow definition"
    validator = jsonschema.Draft202012Validator(schema)
    for name, text in builtin_definition_texts():
        assert list(validator.iter_errors(yaml.safe_load(text))) == [], name


async def test_the_diagram_as_json_and_as_text(client_factory: ClientFactory) -> None:
    anna = await login(client_factory, "anna")
    response = await anna.get(f"{API}/workflows/it-adgang/diagram")
    assert response.status_code == 200, response.text
    chart = response.json()["mermaid"]
    assert chart.startswith("flowchart TD\n")
    assert "Systemejer" in chart

    text = await anna.get(
        f"{API}/workflows/it-adgang/diagram",
        params={"lang": "en"},
        headers={"Accept": "text/plain"},
    )
    assert text.status_code == 200
    assert text.headers["content-type"].startswith("text/plain")
    assert text.text.startswith("flowchart TD\n")
    assert "System owner" in text.text


async def test_the_diagram_needs_a_login_and_a_workflow(client_factory: ClientFactory) -> None:
    assert_problem(await client_factory().get(f"{API}/workflows/ferie/diagram"), 401)
    anna = await login(client_factory, "anna")
    assert_problem(await anna.get(f"{API}/workflows/nope/diagram"), 404)
    assert_problem(await anna.get(f"{API}/workflows/ferie/diagram", params={"lang": "fr"}), 422)


async def test_the_latest_version_lists_every_version(client_factory: ClientFactory) -> None:
    anna = await login(client_factory, "anna")
    workflows = (await anna.get(f"{API}/workflows")).json()["data"]
    assert len(workflows) >= 25
    aktindsigt = (await anna.get(f"{API}/workflows/aktindsigt")).json()
    assert aktindsigt["working_days"] is True
    assert aktindsigt["steps"][0]["deadline"] == "P7D"
    assert [v["version"] for v in aktindsigt["versions"]] == [1]


async def test_keys_no_workflow_can_have_are_404(client_factory: ClientFactory) -> None:
    anna = await login(client_factory, "anna")
    for key in ("%ED%A0%80", "fe%00rie", "x" * 5000, "Ferie"):
        for path in (f"{API}/workflows/{key}", f"{API}/workflows/{key}/diagram"):
            assert_problem(await anna.get(path), 404)
