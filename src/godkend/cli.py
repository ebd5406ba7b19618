"""The `godkend` command: parse, build the context, call one service, print (CONTRACT §3)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from godkend.config import Settings
from godkend.domain.errors import GodkendError, InvalidDefinition
from godkend.services.context import Services
from godkend.store.migrations import migrate

Handler = Callable[[argparse.Namespace, Settings], int]


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = Settings()
    handler: Handler = args.handler
    try:
        return handler(args, settings)
    except InvalidDefinition as e:
        # One line, as for every failure; `workflows validate` lists every problem.
        more = len(e.problems) - 1
        tail = f" (and {more} more: see `godkend workflows validate`)" if more else ""
        print(f"godkend: {e.problems[0]}{tail}", file=sys.stderr)
        return 1
    except GodkendError as e:
        lines = str(e).splitlines() or [type(e).__name__]
        print(f"godkend: {lines[0]}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


# --- database -------------------------------------------------------------------------------


@contextmanager
def database_url(settings: Settings, *, start: bool = True) -> Iterator[str]:
    """GODKEND_DATABASE_URL, else the running embedded server, else one started for this command."""
    if settings.database_url:
        yield settings.database_url
        return
    from godkend.store import embedded

    if not start:
        running = embedded.status(settings.data_dir)
        if running is None:
            raise GodkendError(
                "no database: set GODKEND_DATABASE_URL or start one with `godkend db start`"
            )
        yield running.url
        return
    # From the main thread: the server's death signal follows the thread that started it.
    info, owner = embedded.ensure_running(settings.data_dir)
    with owner or nullcontext():
        yield info.url


@asynccontextmanager
async def services_on(url: str) -> AsyncIterator[Services]:
    from godkend.store.db import PgDatabase

    db = await PgDatabase.connect(url, min_size=1, max_size=2)
    try:
        yield Services(db=db)
    finally:
        await db.close()


def run_with_services(url: str, work: Callable[[Services], Awaitable[int]]) -> int:
    async def go() -> int:
        async with services_on(url) as svc:
            return await work(svc)

    return asyncio.run(go())


# --- commands ----------------------------------------------------------------------------------


def cmd_serve(args: argparse.Namespace, settings: Settings, *, demo: bool = False) -> int:
    import uvicorn

    from godkend.api.app import create_app
    from godkend.api.server import uvicorn_config

    settings = settings.model_copy(
        update={"host": args.host or settings.host, "port": args.port or settings.port}
    )
    with database_url(settings) as url:
        if demo or not args.no_migrate:
            migrate(url)
        else:
            # Fail here in one line, not in uvicorn's startup with a traceback and exit 3.
            run_with_services(url, _reachable)
        if demo:
            changed = run_with_services(url, _load_demo)
            _print_demo_logins(settings, changed)
        app = create_app(settings, database_url=url)
        config = uvicorn_config(
            app,
            host=settings.host,
            port=settings.port,
            log_level="info",
            proxy_headers=False,
            # Open streams would hold a deploy's SIGTERM forever; clients resume elsewhere.
            timeout_graceful_shutdown=5,
        )
        uvicorn.Server(config).run()
    return 0


async def _reachable(_: Services) -> int:
    return 0


async def _load_demo(svc: Services) -> int:
    from godkend.services.demo import load_demo

    return len(await load_demo(svc))


def _print_demo_logins(settings: Settings, changed: int) -> None:
    from godkend.services.demo import DEMO_PASSWORD, USERS

    print(f"godkend demo: {changed} workflow(s) published or updated")
    print(f"godkend demo: open {settings.public_base_url}/ and log in (password: {DEMO_PASSWORD})")
    for user in USERS:
        print(f"  {user.username:<8} {user.name:<22} {user.who}")
    sys.stdout.flush()


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    return cmd_serve(args, settings, demo=True)


def cmd_migrate(_: argparse.Namespace, settings: Settings) -> int:
    with database_url(settings) as url:
        migrate(url)
    print("godkend: database is up to date")
    return 0


def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    from godkend.store import embedded

    if settings.database_url and args.action != "url":
        raise GodkendError("GODKEND_DATABASE_URL is set: there is no embedded server to manage")
    if args.action == "start":
        info = embedded.start_detached(settings.data_dir)
        print(f"godkend: embedded PostgreSQL running (pid {info.pid}, port {info.port})")
    elif args.action == "stop":
        stopped = embedded.stop(settings.data_dir)
        print("godkend: embedded PostgreSQL stopped" if stopped else "godkend: it was not running")
    elif args.action == "status":
        running = embedded.status(settings.data_dir)
        if running is None:
            print("godkend: embedded PostgreSQL is not running")
            return 1
        print(f"godkend: embedded PostgreSQL running (pid {running.pid}, port {running.port})")
    else:
        with database_url(settings, start=False) as url:
            print(url)
    return 0


def cmd_users_add(args: argparse.Namespace, settings: Settings) -> int:
    from godkend.services.users import do_add_user

    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None

    async def work(svc: Services) -> int:
        user_id = await do_add_user(
            svc,
            username=args.username,
            name=args.name,
            email=args.email,
            org_unit=args.org_unit,
            roles=args.role,
            password=password,
        )
        print(f"godkend: user {args.username} added (id {user_id})")
        return 0

    with database_url(settings) as url:
        return run_with_services(url, work)


def cmd_workflows_list(_: argparse.Namespace, settings: Settings) -> int:
    from godkend.services.workflows import list_latest

    async def work(svc: Services) -> int:
        for p in await list_latest(svc):
            steps = " → ".join(s.key for s in p.definition.steps)
            print(f"{p.key:<24} v{p.version:<3} {p.definition.title.da:<36} {steps}")
        return 0

    with database_url(settings) as url:
        return run_with_services(url, work)


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise GodkendError(f"cannot read {path}: {e.strerror}") from e


def cmd_workflows_validate(args: argparse.Namespace, _: Settings) -> int:
    from godkend.domain.definitions import load_definition
    from godkend.domain.errors import InvalidDefinition

    failed = 0
    for path in args.paths:
        try:
            definition = load_definition(_read(path), source=path)
        except InvalidDefinition as e:
            failed += 1
            for problem in e.problems:
                print(problem, file=sys.stderr)
            continue
        print(f"{path}: ok ({definition.key}, {len(definition.steps)} step(s))")
    return 1 if failed else 0


def cmd_workflows_publish(args: argparse.Namespace, settings: Settings) -> int:
    from godkend.services.workflows import do_publish_workflows

    files = [(path, _read(path)) for path in args.paths]

    async def work(svc: Services) -> int:
        for path, (published, is_new) in zip(
            args.paths, await do_publish_workflows(svc, files), strict=True
        ):
            state = "published" if is_new else "unchanged"
            print(f"{path}: {published.key} v{published.version} {state}")
        return 0

    with database_url(settings) as url:
        return run_with_services(url, work)


def cmd_workflows_show(args: argparse.Namespace, settings: Settings) -> int:
    from godkend.domain.diagram import mermaid
    from godkend.services.workflows import get_latest

    async def work(svc: Services) -> int:
        published, _ = await get_latest(svc, args.key)
        if args.mermaid:
            print(mermaid(published.definition))
        else:
            body: dict[str, Any] = {
                "version": published.version,
                **published.definition.model_dump(mode="json"),
            }
            print(json.dumps(body, ensure_ascii=False, indent=2))
        return 0

    with database_url(settings) as url:
        return run_with_services(url, work)


def cmd_listen(args: argparse.Namespace, settings: Settings) -> int:
    """Print events as JSON lines, from `--after` (resumable) or from now, until interrupted."""
    from godkend.realtime.cursor import parse_cursor
    from godkend.realtime.tap import tap
    from godkend.store.db import PgDatabase
    from godkend.store.outbox import PgEventSource

    after = parse_cursor(args.after) if args.after else None

    def write(line: str) -> None:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    async def go(url: str) -> int:
        db = await PgDatabase.connect(url, min_size=1, max_size=2)
        try:
            source = PgEventSource(db, application_name="godkend-listen")
            await tap(source, after, args.type or [], write)
        finally:
            await db.close()
        return 0

    with database_url(settings) as url:
        try:
            return asyncio.run(go(url))
        except KeyboardInterrupt:
            return 0


# --- parser ------------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="godkend", description=__doc__)
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    commands: tuple[tuple[str, Handler, str], ...] = (
        ("serve", cmd_serve, "serve the API and the web UI"),
        ("demo", cmd_demo, "serve with the demo organisation and workflows loaded"),
    )
    for name, handler, helptext in commands:
        p = sub.add_parser(name, help=helptext)
        p.add_argument("--host")
        p.add_argument("--port", type=int)
        if name == "serve":
            p.add_argument("--no-migrate", action="store_true", help="do not migrate at start")
        else:
            p.set_defaults(no_migrate=False)
        p.set_defaults(handler=handler)

    p = sub.add_parser("migrate", help="bring the database schema up to date")
    p.set_defaults(handler=cmd_migrate)

    p = sub.add_parser("db", help="manage the embedded PostgreSQL server")
    p.add_argument("action", choices=["start", "stop", "status", "url"])
    p.set_defaults(handler=cmd_db)

    users = sub.add_parser("users", help="manage users").add_subparsers(
        required=True, metavar="ACTION"
    )
    p = users.add_parser("add", help="add a user")
    p.add_argument("username")
    p.add_argument("--name", required=True)
    p.add_argument("--email", required=True)
    p.add_argument("--org-unit", required=True)
    p.add_argument("--role", action="append", required=True)
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    p.set_defaults(handler=cmd_users_add)

    wf = sub.add_parser("workflows", help="workflow definitions").add_subparsers(
        required=True, metavar="ACTION"
    )
    wf.add_parser("list", help="list published workflows").set_defaults(handler=cmd_workflows_list)
    file_commands: tuple[tuple[str, Handler, str], ...] = (
        ("validate", cmd_workflows_validate, "check definition files"),
        ("publish", cmd_workflows_publish, "publish definition files as new versions"),
    )
    for name, handler, helptext in file_commands:
        p = wf.add_parser(name, help=helptext)
        p.add_argument("paths", nargs="+", metavar="PATH")
        p.set_defaults(handler=handler)
    p = wf.add_parser("show", help="show a published workflow")
    p.add_argument("key")
    p.add_argument("--mermaid", action="store_true", help="as a Mermaid flowchart")
    p.set_defaults(handler=cmd_workflows_show)
    p = sub.add_parser("listen", help="print events as JSON lines (an audit tap)")
    p.add_argument("--after", metavar="CURSOR", help="resume after this cursor (default: now)")
    p.add_argument("--type", action="append", metavar="T", help="only events of this type")
    p.set_defaults(handler=cmd_listen)
    return parser


if __name__ == "__main__":
    raise SystemExit(main())
