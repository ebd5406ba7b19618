"""The demo organisation (CONTRACT §6): a fictional Danish agency, its people and workflows.

Every step of every built-in workflow has an eligible approver for a requester in Kontor for
Digitalisering (anna), with nobody deciding two steps: tests/integration/test_catalogue_walk.py
walks them all.
"""

from __future__ import annotations

from dataclasses import dataclass

from godkend.services.context import Services
from godkend.services.users import do_add_user, do_save_org_unit, usernames
from godkend.services.workflows import do_publish_workflow
from godkend.workflows import builtin_definition_texts

DEMO_PASSWORD = "demo"  # noqa: S105 - the documented password of every demo account

# (key, name, parent)
ORG_UNITS = (
    ("styrelsen", "Styrelsen for Fælles Sagsgange", None),
    ("direktionen", "Direktionen", "styrelsen"),
    ("digitalisering", "Kontor for Digitalisering", "styrelsen"),
    ("oekonomi", "Kontor for Økonomi og HR", "styrelsen"),
    ("jura", "Juridisk kontor", "styrelsen"),
    ("it-drift", "IT-drift", "styrelsen"),
    ("revision", "Intern Revision", "styrelsen"),
)


@dataclass(frozen=True)
class DemoUser:
    username: str
    name: str
    org_unit: str
    roles: tuple[str, ...]
    who: str

    @property
    def email(self) -> str:
        return f"{self.username}@fsg.example.dk"


USERS = (
    DemoUser("anna", "Anna Jensen", "digitalisering", ("employee",), "medarbejder"),
    DemoUser("bo", "Bo Kristensen", "digitalisering", ("employee", "manager"), "kontorchef"),
    DemoUser(
        "carl", "Carl Mortensen", "styrelsen", ("employee", "manager", "director"), "direktør"
    ),
    DemoUser("dorte", "Dorte Poulsen", "revision", ("employee", "auditor"), "intern revisor"),
    DemoUser("eva", "Eva Nielsen", "jura", ("employee",), "medarbejder, Juridisk kontor"),
    DemoUser("admin", "Systemadministrator", "styrelsen", ("admin",), "administrator"),
    DemoUser("frida", "Frida Hansen", "oekonomi", ("employee", "finance"), "økonomimedarbejder"),
    DemoUser(
        "gustav", "Gustav Larsen", "oekonomi", ("employee", "manager"), "kontorchef, Økonomi og HR"
    ),
    DemoUser("helle", "Helle Andersen", "oekonomi", ("employee", "hr"), "HR-partner"),
    DemoUser("ida", "Ida Christensen", "jura", ("employee", "legal"), "jurist"),
    DemoUser(
        "jonas", "Jonas Pedersen", "jura", ("employee", "manager"), "kontorchef, Juridisk kontor"
    ),
    DemoUser("karl", "Karl Sørensen", "it-drift", ("employee", "system_owner"), "systemejer"),
    DemoUser("lise", "Lise Rasmussen", "it-drift", ("employee", "it_security"), "IT-sikkerhed"),
    DemoUser("mads", "Mads Johansen", "it-drift", ("employee", "manager"), "IT-chef"),
    DemoUser("nina", "Nina Holm", "direktionen", ("employee", "communications"), "kommunikation"),
    # The rest of the direktion: with carl, the three directors that committee steps need.
    DemoUser("hanne", "Hanne Vestergaard", "styrelsen", ("employee", "director"), "vicedirektør"),
    DemoUser("ib", "Ib Kjærgaard", "styrelsen", ("employee", "director"), "vicedirektør"),
    # Named, not a role: the data protection officer is one appointed person (GDPR art. 37).
    DemoUser("ole", "Ole Thomsen", "jura", ("employee",), "databeskyttelsesrådgiver (DPO)"),
)


async def load_demo(svc: Services) -> list[str]:
    """Create the demo organisation and publish every built-in workflow (idempotent).

    Existing demo users are left as they are: hashing their passwords again would cost every
    start a second or two and add an audit entry per user. Returns the keys of the workflows
    that got a new version.
    """
    for key, name, parent in ORG_UNITS:
        await do_save_org_unit(svc, key=key, name=name, parent=parent)
    existing = await usernames(svc)
    for user in USERS:
        if user.username in existing:
            continue
        await do_add_user(
            svc,
            username=user.username,
            name=user.name,
            email=user.email,
            org_unit=user.org_unit,
            roles=user.roles,
            password=DEMO_PASSWORD,
        )
    return await publish_builtin_workflows(svc)


async def publish_builtin_workflows(svc: Services) -> list[str]:
    published: list[str] = []
    for filename, text in builtin_definition_texts():
        version, is_new = await do_publish_workflow(svc, text, source=filename)
        if is_new:
            published.append(version.key)
    return published
