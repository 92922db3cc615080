"""The ``inburgering`` command: serve, worker, database, diagrams, organisations, tokens and users."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

from app.config import load_config
from engine.clock import SystemClock
from engine.definition import SpecLibrary
from engine.errors import DeployError, EngineError
from storage.db import SQLITE_BUSY_TIMEOUT_MS, make_engine, write_connection
from storage.errors import StorageError
from storage.migrate import upgrade
from storage.orgs import ORG_KINDS, ROLES, add_organisation, add_user, create_token
from storage.service import WorkflowService
from webhooks.rotation import RotationError

DOCUMENT_SUFFIXES = (".bpmn", ".dmn")


class CliError(Exception):
    """A problem the command reports on stderr before exiting with status 1."""


def _engine(config: dict[str, Any]) -> Engine:
    return make_engine(config["DATABASE_URL"])


def collect_documents(paths: Iterable[Path]) -> list[Path]:
    """Every .bpmn/.dmn file named or inside a named folder, DMN first (they are called by BPMN)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(p for p in sorted(path.rglob("*")) if p.suffix.lower() in DOCUMENT_SUFFIXES)
        elif path.is_file():
            found.append(path)
        else:
            raise CliError(f"{path}: no such file or folder")
    return sorted(found, key=lambda p: (p.suffix.lower() != ".dmn", str(p)))


def _problem_lines(name: str, exc: DeployError) -> list[str]:
    lines = []
    for p in exc.problems:
        where = f"{name}:{p.line}" if p.line else name
        element = f" [{p.element_id}]" if p.element_id else ""
        lines.append(f"{where}:{element} {p.message}")
    return lines


def deploy_documents(service: WorkflowService, files: Sequence[tuple[str, bytes]], actor: str) -> list[str]:
    """Deploy each document (callers after the processes they call); return the problems."""
    pending = list(files)
    problems: dict[str, list[str]] = {}
    while pending:
        progress = False
        for name, content in list(pending):
            try:
                outcome = service.deploy(name, content, actor=actor)
            except DeployError as exc:
                problems[name] = _problem_lines(name, exc)
                continue
            pending.remove((name, content))
            problems.pop(name, None)
            progress = True
            state = "deployed" if outcome.created else "unchanged"
            for key, version in outcome.definitions:
                print(f"{key}\t{version}\t{state}")
        if not progress:
            break
    return [line for name, _ in pending for line in problems.get(name, [])]


def bundled_documents() -> list[tuple[str, bytes]]:
    """The diagrams shipped in the ``bpmn`` package (empty when it has none)."""
    try:
        folder = resources.files("bpmn")
    except ModuleNotFoundError:
        return []
    entries = [e for e in folder.iterdir() if e.name.lower().endswith(DOCUMENT_SUFFIXES)]
    entries.sort(key=lambda e: (not e.name.lower().endswith(".dmn"), e.name))
    return [(e.name, e.read_bytes()) for e in entries]


# -- commands -------------------------------------------------------------------------------------
def cmd_serve(args: argparse.Namespace, config: dict[str, Any]) -> int:
    import shutil
    import tempfile

    # Metrics in multiprocess mode: every gunicorn worker writes its counts into this folder and
    # /metrics adds them up. It must be set before prometheus_client is first imported.
    own_metrics_dir = None
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        own_metrics_dir = tempfile.mkdtemp(prefix="inburgering-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = own_metrics_dir
    try:
        return _serve(args, config)
    finally:
        if own_metrics_dir is not None:
            shutil.rmtree(own_metrics_dir, ignore_errors=True)


def _serve(args: argparse.Namespace, config: dict[str, Any]) -> int:
    from app import build_services
    from app.server import Server

    if not os.environ.get("INBURGERING_PUBLIC_BASE_URL"):
        config["PUBLIC_BASE_URL"] = f"http://{args.host}:{args.port}"
    services = build_services(config)
    try:
        upgrade(services.db)
        problems = deploy_documents(services.workflow, bundled_documents(), actor="system:serve")
        if problems:
            print("\n".join(problems), file=sys.stderr)
            return 1
        if args.demo:
            from app.demo import seed

            seed(services)
    finally:
        services.db.dispose()
    run_worker = not args.no_worker
    if not config.get("SECRET_KEY"):
        print(
            "warning: INBURGERING_SECRET_KEY is not set: webhook signing secrets are stored unsealed "
            "(fine for local development, not for production)",
            file=sys.stderr,
        )
    print(
        f"Serving on http://{args.host}:{args.port} ({'with' if run_worker else 'without'} worker); "
        f"werklijst: http://{args.host}:{args.port}/tasklist",
        flush=True,
    )
    Server(
        config,
        host=args.host,
        port=args.port,
        workers=args.workers,
        threads=args.threads,
        run_worker=run_worker,
    ).run()
    return 0


def cmd_worker(args: argparse.Namespace, config: dict[str, Any]) -> int:
    if args.metrics_listen is not None:
        config["WORKER_METRICS_LISTEN"] = args.metrics_listen
    listen = config.get("WORKER_METRICS_LISTEN")
    if listen:
        # Its own listener serves its counts: kept out of a shared folder, they are scraped once.
        # prometheus_client reads the variable when first imported, which must come after this.
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
        from app.worker_metrics import parse_listen

        parse_listen(str(listen))  # a bad address stops the command before anything starts
    elif not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        print(
            "warning: PROMETHEUS_MULTIPROC_DIR is not set: this worker's metrics (timers fired, sweeps, "
            "engine steps) are not served; set it to the folder `serve` uses, or give the worker its "
            "own listener with --metrics-listen (see Metrics)",
            file=sys.stderr,
        )
    from app.worker import run_worker

    def announce(url: str) -> None:
        print(f"Worker metrics on {url} (a beheerder's bearer token)", flush=True)

    run_worker(config, announce=announce)
    return 0


def cmd_db_upgrade(_args: argparse.Namespace, config: dict[str, Any]) -> int:
    engine = _engine(config)
    upgrade(engine)
    engine.dispose()
    print("database is up to date")
    return 0


def cmd_backup(args: argparse.Namespace, config: dict[str, Any]) -> int:
    from storage.backup import backup_database

    engine = _engine(config)
    try:
        result = backup_database(engine, args.path)
    finally:
        engine.dispose()
    print(f"backup written to {result.path} ({result.size} bytes, {result.method})")
    return 0


def cmd_restore(args: argparse.Namespace, config: dict[str, Any]) -> int:
    from storage.backup import restore_database

    engine = _engine(config)
    try:
        restore_database(engine, args.path, force=args.force)
        upgrade(engine)
    finally:
        engine.dispose()
    print(f"restored {args.path}; the database is up to date")
    return 0


def cmd_secrets_rotate(_args: argparse.Namespace, config: dict[str, Any]) -> int:
    from webhooks.rotation import rotate_secret_key

    engine = _engine(config)
    try:
        report = rotate_secret_key(
            engine,
            str(config.get("SECRET_KEY") or ""),
            tuple(config.get("SECRET_KEY_PREVIOUS") or ()),
            tvs_secret=config.get("TVS_WEBHOOK_SECRET"),
        )
        rehashed, left = _rehash_data_subjects(engine, config)
    finally:
        engine.dispose()
    print("\n".join(report.lines()))
    print(f"data-processing log pseudonym hashes re-derived: {rehashed}")
    if left:
        print(f"data-processing log pseudonyms of purged cases (found with a previous key only): {left}")
    return 1 if report.unreadable else 0


def _mapping(text: str) -> tuple[str, str]:
    source, sep, target = text.partition("=")
    if not sep or not source or not target:
        raise argparse.ArgumentTypeError(f"'{text}' is not OLD=NEW")
    return source, target


def cmd_migrate(args: argparse.Namespace, config: dict[str, Any]) -> int:
    from engine.migration import MigrationPlan
    from storage.migration import InstanceMigrator, MigrationRefused

    plan = MigrationPlan(
        process_key=args.key,
        source_version=args.source,
        target_version=args.target,
        mappings=dict(args.map or ()),
        recompute_timers=frozenset(args.recompute_timer or ()),
    )
    engine = _engine(config)
    try:
        migrator = InstanceMigrator(WorkflowService(engine, SystemClock()))
        if args.dry_run:
            report = migrator.validate(plan, args.instance)
            if not report.ok:
                raise MigrationRefused(report)
            print(
                f"{len(report.instance_ids)} instance(s) can move from version {args.source} to {args.target}"
            )
            return 0
        outcome = migrator.migrate(plan, actor="system:cli", instance_ids=args.instance)
    except MigrationRefused as exc:
        print("nothing was changed; what cannot be mapped:", file=sys.stderr)
        print("\n".join(f"  {m}" for m in exc.report.messages()), file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    for instance_id in outcome.migrated:
        print(f"{instance_id}\tmigrated")
    for instance_id, reason in outcome.failed:
        print(f"{instance_id}\tfailed\t{reason}")
    print(f"{len(outcome.migrated)} migrated, {len(outcome.failed)} failed")
    return 1 if outcome.failed else 0


def _rehash_data_subjects(engine: Engine, config: dict[str, Any]) -> tuple[int, int]:
    from app.processing_log import DEVELOPMENT_KEY
    from storage.db import write_connection
    from storage.processing_log import rehash_data_subjects

    previous = [*(config.get("SECRET_KEY_PREVIOUS") or ()), DEVELOPMENT_KEY]
    with write_connection(engine) as conn, conn.begin():
        return rehash_data_subjects(conn, str(config["SECRET_KEY"]), previous)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    raise TypeError(f"{type(value).__name__} is not JSON")


def cmd_processing_log_export(_args: argparse.Namespace, config: dict[str, Any]) -> int:
    from app.processing_log import export_item, export_person

    prompt = sys.stdin.isatty()
    v_nummer = (getpass.getpass("V-nummer: ") if prompt else sys.stdin.readline()).strip()
    if not v_nummer:
        raise CliError("give the V-nummer on standard input (never as an argument)")
    engine = _engine(config)
    try:
        rows = export_person(
            engine, config, v_nummer, actor=f"cli:{getpass.getuser()}", now=SystemClock().now()
        )
    finally:
        engine.dispose()
    base = str(config.get("PUBLIC_BASE_URL") or "")
    body = {"items": [export_item(r, base) for r in rows], "total": len(rows)}
    print(json.dumps(body, default=_json_default, indent=2, ensure_ascii=False))
    return 0


def cmd_processing_log_purge(_args: argparse.Namespace, config: dict[str, Any]) -> int:
    from app.processing_log import retention_days
    from storage.db import write_connection
    from storage.processing_log import purge_records

    days = retention_days(config)
    engine = _engine(config)
    removed = 0
    try:
        while True:
            with write_connection(engine) as conn, conn.begin():
                count = purge_records(conn, SystemClock().now(), days)
            removed += count
            if count == 0:
                break
    finally:
        engine.dispose()
    print(f"removed {removed} data-processing records older than {days} days")
    return 0


def cmd_config_check(args: argparse.Namespace, config: dict[str, Any]) -> int:
    from app.config_check import ERROR, check_config

    findings = check_config(config, database=not args.no_database)
    for finding in findings:
        print(finding.line())
    errors = sum(f.level == ERROR for f in findings)
    print(f"{errors} error(s), {len(findings) - errors} warning(s)")
    return 1 if errors else 0


def cmd_deploy(args: argparse.Namespace, config: dict[str, Any]) -> int:
    files = [(p.name, p.read_bytes()) for p in collect_documents(args.paths)]
    engine = _engine(config)
    try:
        problems = deploy_documents(WorkflowService(engine, SystemClock()), files, actor="system:cli")
    finally:
        engine.dispose()
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    return 0


def cmd_lint(args: argparse.Namespace, _config: dict[str, Any]) -> int:
    library = SpecLibrary()
    problems: list[str] = []
    paths = collect_documents(args.paths)
    for path in paths:
        try:
            library.add_document(path.name, path.read_bytes())
        except DeployError as exc:
            problems.extend(_problem_lines(str(path), exc))
    for p in library.missing_calls(library.definitions()):
        problems.append(f"{p.element_id}: {p.message}")
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    print(f"{len(paths)} document(s) OK")
    return 0


def cmd_org_add(args: argparse.Namespace, config: dict[str, Any]) -> int:
    engine = _engine(config)
    try:
        with write_connection(engine) as conn, conn.begin():
            add_organisation(conn, args.code, args.name, args.kind, SystemClock().now())
    finally:
        engine.dispose()
    print(f"organisation {args.code} added")
    return 0


def cmd_token_create(args: argparse.Namespace, config: dict[str, Any]) -> int:
    engine = _engine(config)
    try:
        with write_connection(engine) as conn, conn.begin():
            token = create_token(conn, args.org, args.role, args.name, SystemClock().now())
    finally:
        engine.dispose()
    print(f"token for {args.role} of {args.org} ({args.name}); it is shown only now:")
    print(token)
    return 0


def cmd_user_add(args: argparse.Namespace, config: dict[str, Any]) -> int:
    from werkzeug.security import generate_password_hash

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Again: "):
            raise CliError("the passwords differ")
    if len(password) < 8:
        raise CliError("the password needs at least 8 characters")
    engine = _engine(config)
    try:
        with write_connection(engine) as conn, conn.begin():
            add_user(
                conn,
                args.username,
                args.org,
                args.role,
                generate_password_hash(password),
                SystemClock().now(),
            )
    finally:
        engine.dispose()
    print(f"user {args.username} added")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="inburgering", description="Doorlopende Lijn workflow service")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="migrate, deploy the bundled diagrams and serve the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--no-worker", action="store_true", help="do not fire timers or deliver webhooks")
    serve.add_argument("--demo", action="store_true", help="seed demo organisations, callers and cases")
    serve.add_argument("--workers", type=int, default=2, help="server processes (default 2)")
    serve.add_argument("--threads", type=int, default=8, help="threads per process (default 8)")
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="fire timers and deliver webhooks only")
    worker.add_argument(
        "--metrics-listen",
        metavar="[HOST:]PORT",
        help="serve this worker's /metrics there, to a beheerder's bearer token (a bare port: 127.0.0.1; "
        "default INBURGERING_WORKER_METRICS_LISTEN, else none)",
    )
    worker.set_defaults(func=cmd_worker)

    db = sub.add_parser("db", help="database").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="apply migrations").set_defaults(func=cmd_db_upgrade)

    backup = sub.add_parser("backup", help="write a consistent copy of the running database to PATH")
    backup.add_argument("path", type=Path)
    backup.set_defaults(func=cmd_backup)

    restore = sub.add_parser("restore", help="load a backup into a new, empty database (nodes stopped)")
    restore.add_argument("path", type=Path)
    restore.add_argument("--force", action="store_true", help="SQLite: replace a database that is not empty")
    restore.set_defaults(func=cmd_restore)

    secrets = sub.add_parser("secrets", help="the secret key").add_subparsers(
        dest="secrets_command", required=True
    )
    secrets.add_parser(
        "rotate",
        help="re-seal and re-derive everything keyed with INBURGERING_SECRET_KEY_PREVIOUS under "
        "INBURGERING_SECRET_KEY",
    ).set_defaults(func=cmd_secrets_rotate)

    migrate = sub.add_parser(
        "migrate", help="move running instances of a process to another version (checked first)"
    )
    migrate.add_argument("key", help="process key, e.g. doorlopende_lijn")
    migrate.add_argument("--from", dest="source", type=int, required=True, help="source version")
    migrate.add_argument("--to", dest="target", type=int, required=True, help="target version")
    migrate.add_argument(
        "--map", action="append", type=_mapping, metavar="OLD=NEW", help="an element whose id changed"
    )
    migrate.add_argument(
        "--recompute-timer", action="append", metavar="ID", help="a timer whose due time is computed anew"
    )
    migrate.add_argument("--instance", action="append", metavar="ID", help="only this instance (repeatable)")
    migrate.add_argument("--dry-run", action="store_true", help="check only; change nothing")
    migrate.set_defaults(func=cmd_migrate)

    config_cmd = sub.add_parser("config", help="configuration").add_subparsers(
        dest="config_command", required=True
    )
    check = config_cmd.add_parser("check", help="say what is missing or unsafe for production")
    check.add_argument("--no-database", action="store_true", help="do not connect to the database")
    check.set_defaults(func=cmd_config_check)

    deploy = sub.add_parser("deploy", help="deploy .bpmn/.dmn files or folders")
    deploy.add_argument("paths", nargs="+", type=Path)
    deploy.set_defaults(func=cmd_deploy)

    lint = sub.add_parser("lint", help="validate diagrams as deploy would, without deploying")
    lint.add_argument("paths", nargs="+", type=Path)
    lint.set_defaults(func=cmd_lint)

    org = sub.add_parser("org", help="organisations").add_subparsers(dest="org_command", required=True)
    org_add = org.add_parser("add", help="add an organisation")
    org_add.add_argument("code")
    org_add.add_argument("--name", required=True)
    org_add.add_argument("--kind", required=True, choices=ORG_KINDS)
    org_add.set_defaults(func=cmd_org_add)

    token = sub.add_parser("token", help="API tokens").add_subparsers(dest="token_command", required=True)
    token_create = token.add_parser("create", help="create a token (printed once)")
    token_create.add_argument("--org", required=True)
    token_create.add_argument("--role", required=True, choices=ROLES)
    token_create.add_argument("--name", required=True)
    token_create.set_defaults(func=cmd_token_create)

    plog = sub.add_parser("processing-log", help="the data-processing log (Logboek Dataverwerkingen)")
    plog_sub = plog.add_subparsers(dest="processing_log_command", required=True)
    plog_sub.add_parser(
        "export", help="print one person's records as JSON (the V-nummer is read from standard input)"
    ).set_defaults(func=cmd_processing_log_export)
    plog_sub.add_parser(
        "purge", help="remove records past INBURGERING_PROCESSING_LOG_RETENTION_DAYS (default five years)"
    ).set_defaults(func=cmd_processing_log_purge)

    user = sub.add_parser("user", help="tasklist users").add_subparsers(dest="user_command", required=True)
    user_add = user.add_parser("add", help="add a tasklist user")
    user_add.add_argument("username")
    user_add.add_argument("--org", required=True)
    user_add.add_argument("--role", required=True, choices=ROLES)
    user_add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    user_add.set_defaults(func=cmd_user_add)
    return parser


def describe_error(exc: BaseException) -> str:
    """One line for an operator: what went wrong, without a traceback or bound parameters."""
    if isinstance(exc, OperationalError) and "locked" in str(exc.orig):
        return (
            "the database is busy: another process held its write lock for longer than the "
            f"{SQLITE_BUSY_TIMEOUT_MS // 1000} s busy timeout; try again"
        )
    if isinstance(exc, DBAPIError):
        cause = exc.orig or exc
        text = str(cause)
        missing = "no such table" in text or ('relation "' in text and "does not exist" in text)
        hint = "; run `inburgering db upgrade` first" if missing else ""
        return f"database error: {_first_line(cause)}{hint}"
    if isinstance(exc, SQLAlchemyError):
        return f"database error: {_first_line(exc)}"
    if isinstance(exc, CliError | StorageError | EngineError | RotationError | ValueError | OSError):
        return _first_line(exc)
    return (
        f"unexpected error ({type(exc).__name__}: {_first_line(exc)[:200]}); "
        "set INBURGERING_CLI_TRACEBACK=1 to see where"
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; any failure ends in one line on stderr and exit status 1 (130 on Ctrl-C)."""
    args = build_parser().parse_args(argv)
    try:
        config = load_config()
        if config.get("LOG_FORMAT") != "text" and args.func in (cmd_serve, cmd_worker):
            from app.logs import configure_logging

            configure_logging(config)
        return int(args.func(args, config))
    except KeyboardInterrupt:
        print("inburgering: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - an operator's command never ends in a traceback
        if os.environ.get("INBURGERING_CLI_TRACEBACK"):
            raise
        print(f"inburgering: {describe_error(exc)}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
