"""The walks through every built-in workflow: who submits what, and who is assigned at each step.

Each walk lists the steps the request must pass, in order, with the demo users assigned to each;
the walker approves with them (as many as the step needs) unless the walk stops at a step with
another verdict. Together the walks take every conditional step both ways (checked by
test_catalogue_walk.py), through thresholds on both sides of the line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DIRECTION = frozenset({"carl", "hanne", "ib"})
BO, CARL = frozenset({"bo"}), frozenset({"carl"})
FRIDA, HELLE, IDA = frozenset({"frida"}), frozenset({"helle"}), frozenset({"ida"})
KARL, LISE, MADS = frozenset({"karl"}), frozenset({"lise"}), frozenset({"mads"})
NINA, OLE = frozenset({"nina"}), frozenset({"ole"})

Steps = tuple[tuple[str, frozenset[str]], ...]


@dataclass(frozen=True)
class Walk:
    workflow: str
    name: str
    fields: dict[str, Any]
    steps: Steps
    requester: str = "anna"
    # (step key, "reject" or "return"): decided so at that step; else every step is approved.
    stop_at: tuple[str, str] | None = None

    @property
    def final_status(self) -> str:
        if self.stop_at is None:
            return "approved"
        return {"reject": "rejected", "return": "returned"}[self.stop_at[1]]


def _walks(
    workflow: str, base: dict[str, Any], *cases: tuple[str, dict[str, Any], Steps]
) -> list[Walk]:
    return [Walk(workflow, name, base | changes, steps) for name, changes, steps in cases]


MANAGER = ("manager", BO)
PERIOD = {"from": "2026-05-04", "to": "2026-05-08"}

WALKS: list[Walk] = [
    *_walks("ferie", {"from": "2026-07-06", "to": "2026-07-24"}, ("summer", {}, (MANAGER,))),
    Walk(
        "ferie",
        "rejected",
        {"from": "2026-07-06", "to": "2026-07-10"},
        (MANAGER,),
        stop_at=("manager", "reject"),
    ),
    *_walks("afspadsering", {"date": "2026-03-06", "hours": 7.4}, ("day", {}, (MANAGER,))),
    *_walks(
        "orlov",
        {
            "kind": "unpaid",
            "period": {"from": "2026-09-01", "to": "2027-02-26"},
            "reason": "Udstationering med ægtefælle",
            "pension_continued": True,
        },
        ("26 weeks", {"weeks": 26}, (MANAGER, ("hr", HELLE))),
        ("40 weeks", {"weeks": 40}, (MANAGER, ("hr", HELLE), ("direction", DIRECTION))),
    ),
    *_walks(
        "udlaeg",
        {"date": "2026-03-02", "category": "transport", "purpose": "Togbillet til Aarhus"},
        ("10000", {"amount": 10000}, (MANAGER,)),
        ("10000.01", {"amount": "10000.01"}, (MANAGER, ("finance", FRIDA))),
    ),
    *_walks(
        "it-adgang",
        {"system": "esdh", "justification": "Sagsbehandling", "needed_from": "2026-04-01"},
        ("read", {"access_level": "read"}, (MANAGER, ("system_owner", KARL))),
        (
            "admin",
            {"access_level": "admin"},
            (MANAGER, ("system_owner", KARL), ("it_security", LISE)),
        ),
    ),
    *_walks(
        "tjenesterejse",
        {"destination": "Aarhus", "period": PERIOD, "purpose": "Konference", "transport": "train"},
        ("domestic, cheap", {"abroad": False, "estimated_cost": 3000}, (MANAGER,)),
        (
            "abroad, 25000",
            {"abroad": True, "estimated_cost": 25000},
            (MANAGER, ("direction", DIRECTION)),
        ),
        (
            "domestic, 25000.01",
            {"abroad": False, "estimated_cost": "25000.01"},
            (MANAGER, ("finance", FRIDA)),
        ),
    ),
    *_walks(
        "indkoeb",
        {
            "description": "Licenser til ESDH",
            "category": "it",
            "framework_agreement": True,
            "account": "22100",
        },
        ("99999.99", {"amount": "99999.99"}, (MANAGER,)),
        ("100000", {"amount": 100000}, (MANAGER, ("finance", FRIDA))),
        ("500000", {"amount": 500000}, (MANAGER, ("finance", FRIDA), ("direction", DIRECTION))),
        (
            "1044399.99",
            {"amount": "1044399.99"},
            (MANAGER, ("finance", FRIDA), ("direction", DIRECTION)),
        ),
        (
            "1044400",
            {"amount": 1044400},
            (MANAGER, ("finance", FRIDA), ("legal", IDA), ("direction", DIRECTION)),
        ),
    ),
    Walk(
        "indkoeb",
        "legal rejects",
        {
            "description": "Nyt fagsystem",
            "category": "it",
            "framework_agreement": False,
            "account": "22100",
            "amount": 2500000,
        },
        (MANAGER, ("finance", FRIDA), ("legal", IDA)),
        stop_at=("legal", "reject"),
    ),
    *_walks(
        "fakturagodkendelse",
        {
            "supplier": "Kontorland A/S",
            "invoice_number": "F-1001",
            "invoice_date": "2026-03-01",
            "due_date": "2026-03-31",
            "goods_received": True,
        },
        ("12500", {"amount": 12500}, (("budget_holder", BO), ("finance", FRIDA))),
        (
            "1000000",
            {"amount": 1000000},
            (("budget_holder", BO), ("finance", FRIDA), ("direction", DIRECTION)),
        ),
    ),
    *_walks(
        "kontraktunderskrift",
        {
            "counterparty": "Konsulenthuset ApS",
            "contract_type": "purchase",
            "period": {"from": "2026-04-01", "to": "2027-03-31"},
            "summary": "Standardvilkår",
        },
        ("499999", {"value": 499999}, (MANAGER, ("legal", IDA))),
        ("500000", {"value": 500000}, (MANAGER, ("legal", IDA), ("signature", DIRECTION))),
    ),
    *_walks(
        "software",
        {"product": "Miro", "vendor": "Miro AS", "purpose": "Workshops", "users": 20},
        (
            "on premise, 50000",
            {"cloud": False, "personal_data": False, "annual_cost": 50000},
            (MANAGER, ("it_operations", MADS)),
        ),
        (
            "cloud, 60000",
            {"cloud": True, "personal_data": False, "annual_cost": 60000},
            (MANAGER, ("it_operations", MADS), ("it_security", LISE), ("finance", FRIDA)),
        ),
        (
            "personal data",
            {"cloud": False, "personal_data": True, "annual_cost": 0},
            (MANAGER, ("it_operations", MADS), ("it_security", LISE)),
        ),
    ),
    *_walks(
        "hardware",
        {
            "item": "screen",
            "description": "27 tommer skærm",
            "reason": "Ergonomi",
            "ergonomic": True,
        },
        ("20000", {"amount": 20000}, (MANAGER, ("it_operations", MADS))),
        (
            "20000.01",
            {"amount": "20000.01"},
            (MANAGER, ("it_operations", MADS), ("finance", FRIDA)),
        ),
    ),
    *_walks(
        "hjemmearbejde",
        {"period": {"from": "2026-04-01", "to": "2026-12-31"}, "workplace_assessed": True},
        ("two days", {"weekdays": ["mon", "thu"]}, (MANAGER,)),
        ("three days", {"weekdays": ["mon", "wed", "fri"]}, (MANAGER, ("hr", HELLE))),
    ),
    *_walks(
        "kursus-og-uddannelse",
        {
            "course": "Projektledelse",
            "provider": "Akademiet",
            "period": PERIOD,
            "competence_fund": False,
            "relevance": "Udviklingsplan fra MUS",
        },
        ("course 25000", {"kind": "course", "cost": 25000}, (MANAGER,)),
        ("master", {"kind": "master", "cost": 90000}, (MANAGER, ("hr", HELLE))),
        (
            "course 120000",
            {"kind": "course", "cost": 120000},
            (MANAGER, ("hr", HELLE), ("direction", DIRECTION)),
        ),
    ),
    # bo is a manager, so the direktion decides too; carl, as bo's manager, already has.
    Walk(
        "kursus-og-uddannelse",
        "a manager's course",
        {
            "course": "Lederuddannelse",
            "provider": "Akademiet",
            "period": PERIOD,
            "competence_fund": False,
            "relevance": "Ny leder",
            "kind": "course",
            "cost": 8000,
        },
        (("manager", CARL), ("direction", DIRECTION - CARL)),
        requester="bo",
    ),
    *_walks(
        "overarbejde",
        {"date": "2026-03-10", "hours": 3, "reason": "Release", "agreed_in_advance": True},
        ("time off", {"compensation": "time_off"}, (MANAGER,)),
        ("paid", {"compensation": "payment"}, (MANAGER, ("payroll", HELLE))),
    ),
    *_walks(
        "ny-stilling",
        {
            "job_title": "Fuldmægtig",
            "org_unit": "digitalisering",
            "staff_group": "ac",
            "permanent": True,
            "annual_cost": 650000,
            "financing": "existing_budget",
            "justification": "Flere opgaver med digital forvaltning",
        },
        (
            "two of the direktion",
            {},
            (MANAGER, ("hr", HELLE), ("finance", FRIDA), ("direction", DIRECTION)),
        ),
    ),
    *_walks(
        "ansaettelse",
        {
            "candidate": "Peter Holm",
            "position": "Fuldmægtig",
            "start_date": "2026-05-01",
            "monthly_salary": 42000,
            "security_clearance": False,
        },
        ("on scale", {"staff_group": "ac", "beyond_scale": False}, (MANAGER, ("hr", HELLE))),
        (
            "beyond scale",
            {"staff_group": "ac", "beyond_scale": True},
            (MANAGER, ("hr", HELLE), ("direction", DIRECTION)),
        ),
        (
            "a head",
            {"staff_group": "head", "beyond_scale": False},
            (MANAGER, ("hr", HELLE), ("direction", DIRECTION)),
        ),
    ),
    *_walks(
        "budgetaendring",
        {
            "from_account": "22100",
            "to_account": "22200",
            "budget_year": 2026,
            "permanent": False,
            "reason": "Omprioritering",
        },
        ("4999999", {"amount": 4999999}, (MANAGER, ("finance", FRIDA))),
        ("5000000", {"amount": 5000000}, (MANAGER, ("finance", FRIDA), ("direction", DIRECTION))),
    ),
    *_walks(
        "udgivelse-af-dokument",
        {
            "document_title": "Årsrapport 2025",
            "kind": "report",
            "summary": "Resultater",
            "publish_on": "2026-04-15",
        },
        (
            "plain",
            {"legal_review": False, "politically_sensitive": False},
            (MANAGER, ("communications", NINA)),
        ),
        (
            "legal and sensitive",
            {"legal_review": True, "politically_sensitive": True},
            (MANAGER, ("legal", IDA), ("communications", NINA), ("direction", DIRECTION)),
        ),
    ),
    *_walks(
        "pressemeddelelse",
        {"headline": "Ny digital løsning", "body": "Styrelsen lancerer ..."},
        (
            "plain",
            {"quotes_direction": False, "politically_sensitive": False},
            (MANAGER, ("communications", NINA)),
        ),
        (
            "quotes the direktion",
            {"quotes_direction": True, "politically_sensitive": False, "embargo": "2026-04-20"},
            (MANAGER, ("communications", NINA), ("direction", DIRECTION)),
        ),
    ),
    *_walks(
        "aktindsigt",
        {
            "applicant": "Jens Hansen",
            "received_on": "2026-03-02",
            "case_reference": "2026-1234",
            "scope": "Korrespondance om udbud",
            "internal_documents": False,
            "third_parties": False,
        },
        ("citizen", {"media": False}, (("legal", IDA), ("head_of_office", BO))),
        (
            "journalist",
            {"media": True},
            (("legal", IDA), ("communications", NINA), ("head_of_office", BO)),
        ),
    ),
    Walk(
        "aktindsigt",
        "returned",
        {
            "applicant": "Jens Hansen",
            "received_on": "2026-03-02",
            "case_reference": "2026-1235",
            "scope": "Uklart",
            "internal_documents": True,
            "third_parties": True,
            "media": False,
        },
        (("legal", IDA),),
        stop_at=("legal", "return"),
    ),
    *_walks(
        "databehandleraftale",
        {
            "processor": "CloudCo ApS",
            "system": "HR-system",
            "standard_template": True,
            "description": "Drift af HR-system",
        },
        (
            "ordinary",
            {"data_categories": ["ordinary"], "outside_eea": False},
            (MANAGER, ("legal", IDA), ("it_security", LISE)),
        ),
        (
            "sensitive",
            {"data_categories": ["ordinary", "sensitive"], "outside_eea": False},
            (MANAGER, ("legal", IDA), ("it_security", LISE), ("dpo", OLE)),
        ),
        (
            "outside the EEA",
            {"data_categories": ["cpr"], "outside_eea": True},
            (MANAGER, ("legal", IDA), ("it_security", LISE), ("dpo", OLE)),
        ),
    ),
    *_walks(
        "konsekvensanalyse",
        {
            "processing": "Automatisk sagsfordeling",
            "system": "Fagsystem",
            "purpose": "Hurtigere sagsbehandling",
            "data_categories": ["ordinary", "cpr"],
            "data_subjects": 50000,
            "new_technology": True,
        },
        (
            "low residual risk",
            {"high_residual_risk": False},
            (MANAGER, ("dpo", OLE), ("it_security", LISE)),
        ),
        (
            "high residual risk",
            {"high_residual_risk": True},
            (MANAGER, ("dpo", OLE), ("it_security", LISE), ("direction", DIRECTION)),
        ),
    ),
    *_walks(
        "gaveregistrering",
        {
            "giver": "Leverandør A/S",
            "description": "Vin",
            "received_on": "2026-03-01",
            "occasion": "talk",
            "proposal": "keep",
        },
        ("500", {"value": 500}, (MANAGER,)),
        ("500.01", {"value": "500.01"}, (MANAGER, ("legal", IDA))),
    ),
    *_walks(
        "bijob-og-habilitet",
        {
            "kind": "secondary_job",
            "description": "Underviser på aftenskole",
            "employer": "Aftenskolen",
            "starts_on": "2026-02-01",
        },
        ("no conflict", {"possible_conflict": False}, (MANAGER, ("hr", HELLE))),
        (
            "41 hours",
            {"possible_conflict": False, "hours_per_month": 41},
            (MANAGER, ("hr", HELLE), ("legal", IDA)),
        ),
        ("conflict", {"possible_conflict": True}, (MANAGER, ("hr", HELLE), ("legal", IDA))),
    ),
    Walk(
        "bijob-og-habilitet",
        "a manager's board seat",
        {
            "kind": "secondary_job",
            "description": "Bestyrelsesmedlem",
            "starts_on": "2026-02-01",
            "possible_conflict": False,
            "hours_per_month": 4,
        },
        (("manager", CARL), ("hr", HELLE), ("legal", IDA)),
        requester="bo",
    ),
    *_walks(
        "adgangskort",
        {
            "card_holder": "Anna Jensen",
            "period": {"from": "2026-03-01", "to": "2026-12-31"},
            "reason": "Nyt kort",
        },
        ("offices", {"holder_kind": "employee", "zones": ["main_building", "offices"]}, (MANAGER,)),
        (
            "external",
            {"holder_kind": "external", "contact_person": "bo", "zones": ["main_building"]},
            (MANAGER, ("security", LISE)),
        ),
        (
            "server room",
            {"holder_kind": "employee", "zones": ["server_room"]},
            (MANAGER, ("security", LISE)),
        ),
        (
            "archive",
            {"holder_kind": "employee", "zones": ["offices", "archive"]},
            (MANAGER, ("security", LISE)),
        ),
    ),
    *_walks(
        "repraesentation",
        {
            "occasion": "Arbejdsmiddag med delegation",
            "date": "2026-03-12",
            "external_guests": "To gæster fra Digitaliseringsstyrelsen",
            "participants": 4,
        },
        ("500 a head", {"total_cost": 2000}, (MANAGER,)),
        ("600 a head", {"total_cost": 2400}, (MANAGER, ("direction", DIRECTION))),
    ),
]
