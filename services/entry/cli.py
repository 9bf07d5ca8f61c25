"""The `contacthub` command line."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from services.infra.auth import Role
from services.infra.settings import Settings

if TYPE_CHECKING:
    from services.wiring.accounts import Accounts

app = typer.Typer(help="contacthub: event-sourced multichannel contact hub.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens for agents, supervisors, auditors and admins.")
app.add_typer(token_app, name="token")
user_app = typer.Typer(help="User accounts: name, role, team and password.")
app.add_typer(user_app, name="user")
dev_app = typer.Typer(help="Helpers for trying the hub out by hand.")
app.add_typer(dev_app, name="dev")
sla_app = typer.Typer(help="Complaint SLAs: re-apply a changed policy to the history.")
app.add_typer(sla_app, name="sla")
orders_app = typer.Typer(help="Orders from a shop or ERP: import a history.")
app.add_typer(orders_app, name="orders")
run_app = typer.Typer(
    help="Run one service of the distributed setup (PostgreSQL + Kafka), one process each.",
    no_args_is_help=True,
)
app.add_typer(run_app, name="run")

console = Console(stderr=True)


def _settings() -> Settings:
    return Settings()


@contextmanager
def _exclusive(settings: Settings, name: str) -> Iterator[None]:
    from services.infra.locks import AlreadyRunning, exclusive

    try:
        with exclusive(settings, name):
            yield
    except AlreadyRunning as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None


def _progress(*, transient: bool = False) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=transient,
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="HTTP address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP port.")] = 8000,
    access_log: Annotated[bool, typer.Option(help="Log every HTTP request.")] = True,
) -> None:
    """Run gateway, recorder, projector and API in one process (the embedded default)."""
    import uvicorn

    from services.entry.api.app import create_app
    from services.wiring.hub import build_hub

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    configured = _settings()
    settings = configured.listening_on(host, port)
    with _exclusive(settings, "projector"):
        hub = build_hub(settings)
        where = (
            "PostgreSQL" if settings.database_url else f"SQLite in {settings.data_dir.resolve()}"
        )
        console.print(f"contacthub: events in {where}; listening on http://{host}:{port}")
        _say_signature_url(settings, derived=settings is not configured)
        if settings.smtp_listen:
            console.print(f"contacthub: SMTP receiver on {settings.smtp_listen}")
        uvicorn.run(create_app(hub), host=host, port=port, log_level="info", access_log=access_log)


def _say_signature_url(settings: Settings, *, derived: bool) -> None:
    # A webhook signed for another URL is refused (403): say which one counts.
    source = (
        "from --host/--port; set CONTACTHUB_PUBLIC_URL if providers call another address"
        if derived
        else "CONTACTHUB_PUBLIC_URL"
    )
    console.print(
        f"contacthub: webhook signatures are checked against {settings.public_url} ({source})",
        soft_wrap=True,  # one line, whatever the terminal's width: logs are grepped
    )


def _logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("aiokafka").setLevel(logging.WARNING)


def _distributed(kafka: bool) -> Settings:
    from services.entry.workers.processes import ConfigurationError, check_distributed

    settings = _settings()
    try:
        check_distributed(settings, kafka=kafka)
    except ConfigurationError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    return settings


def _serve_http(app: object, host: str, port: int, *, access_log: bool = True) -> None:
    import uvicorn

    # httptools and uvloop come with uvicorn[standard]; name them so that a
    # missing one fails at start instead of silently halving the throughput.
    uvicorn.run(
        app,  # type: ignore[arg-type]
        host=host,
        port=port,
        log_level="info",
        access_log=access_log,
        http="httptools",
        loop="uvloop",
    )


@run_app.command("gateway")
def run_gateway(
    host: Annotated[str, typer.Option(help="HTTP address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP port.")] = 8000,
    access_log: Annotated[
        bool, typer.Option(help="Log every HTTP request (about 6% of the CPU per webhook).")
    ] = True,
) -> None:
    """Provider webhooks -> Kafka (acks=all); 503 while the broker cannot take them."""
    from services.entry.api.app import GATEWAY_ROUTERS, create_app
    from services.infra.kafka.topics import ensure_topics
    from services.wiring.hub import GATEWAY_PARTS, build_hub

    _logging()
    configured = _distributed(kafka=True)
    settings = configured.listening_on(host, port)
    _say_signature_url(settings, derived=settings is not configured)
    try:
        asyncio.run(ensure_topics(settings))
    except Exception as exc:  # the broker may come later; publishing answers 503 meanwhile
        console.print(f"[yellow]cannot create the topics now: {exc!r}[/yellow]")
    hub = build_hub(settings, kafka=True, parts=GATEWAY_PARTS)
    app = create_app(hub, routers=GATEWAY_ROUTERS, run_projector=False)
    _serve_http(app, host, port, access_log=access_log)


@run_app.command("api")
def run_api(
    host: Annotated[str, typer.Option(help="HTTP address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP port.")] = 8000,
    access_log: Annotated[bool, typer.Option(help="Log every HTTP request.")] = True,
) -> None:
    """The agent API (reads the read models; commands append to the event store)."""
    from services.entry.api.app import API_ROUTERS, create_app
    from services.wiring.hub import API_PARTS, build_hub

    _logging()
    hub = build_hub(_distributed(kafka=False), parts=API_PARTS)
    app = create_app(hub, routers=API_ROUTERS, run_projector=False)
    _serve_http(app, host, port, access_log=access_log)


HealthPort = Annotated[
    int | None,
    typer.Option(help="Serve /healthz and /readyz on this port (for Kubernetes probes)."),
]


@run_app.command("recorder")
def run_recorder(health_port: HealthPort = None) -> None:
    """Kafka intake topic -> event store, with the offsets in the same transaction."""
    from services.entry.workers.processes import run_recorder as run

    _logging()
    run(_distributed(kafka=True), health_port)


@run_app.command("orders")
def run_orders(health_port: HealthPort = None) -> None:
    """Kafka topic contacthub.orders.v1 -> event store (invalid orders to its .dlq)."""
    from services.entry.workers.processes import run_orders as run

    _logging()
    run(_distributed(kafka=True), health_port)


class ViewName(StrEnum):
    customer360 = "customer360"
    identity = "identity"
    complaints = "complaints"
    orders = "orders"
    consent = "consent"


@run_app.command("projector")
def run_projector(
    view: Annotated[
        list[ViewName] | None,
        typer.Option(help="Project only this read model (repeatable); default: all."),
    ] = None,
    health_port: HealthPort = None,
) -> None:
    """Event store -> read models, each view with its position in one transaction.

    The process that projects `complaints` also runs the complaint intake (rules
    that open cases) and the SLA scheduler."""
    from services.entry.workers.processes import run_projector as run

    _logging()
    run(_distributed(kafka=False), [v.value for v in view] if view else None, health_port)


@run_app.command("publisher")
def run_publisher(health_port: HealthPort = None) -> None:
    """Event store -> Kafka topic contacthub.events.v1, keyed by customer."""
    from services.entry.workers.processes import run_publisher as run

    _logging()
    run(_distributed(kafka=True), health_port)


def _say(message: str, style: str | None = None) -> None:
    # Names and times whole on one line, whatever the terminal's width; names
    # are not markup.
    console.print(message, style=style, markup=False, highlight=False, soft_wrap=True)


def _fail(message: str, code: int = 1) -> NoReturn:
    _say(message, "red")
    raise typer.Exit(code)


def _shown(when: datetime | None) -> str:
    return when.isoformat(timespec="seconds") if when else "-"


def _print_rows(header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """Tab-separated, one line each: for people (`| column -t`) and for scripts."""
    print("\t".join(header))
    for row in rows:
        print("\t".join(row))


def _accounts() -> Accounts:
    from services.wiring.accounts import open_accounts

    return open_accounts(_settings(), lambda: datetime.now(UTC))


def _new_password() -> tuple[str, bool]:
    """The password from standard input when that is not a terminal (its first
    line), else a generated one; and whether it was generated."""
    from services.infra.passwords import generate

    if sys.stdin.isatty():
        return generate(), True
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        _fail("no password on standard input (or run it in a terminal to have one generated)", 2)
    return password, False


@token_app.command("create")
def token_create(
    role: Annotated[
        Role | None,
        typer.Option(help="What the token may do (default agent; with --user, the user's role)."),
    ] = None,
    name: Annotated[
        str,
        typer.Option(
            help="The token's name, for list and revoke; without --user also who holds it "
            "(shown in the history). Default: a new unique one."
        ),
    ] = "",
    user: Annotated[
        str, typer.Option(help="The user the token acts as, with their role and team.")
    ] = "",
    expires_in: Annotated[
        int | None, typer.Option(min=1, metavar="DAYS", help="Stop working after DAYS days.")
    ] = None,
) -> None:
    """Create an API token; it is printed once, alone on the last line."""
    from services.infra.auth import InvalidName, TokenRefused, new_token_name

    accounts = _accounts()
    expires_at = accounts.tokens.clock() + timedelta(days=expires_in) if expires_in else None
    try:
        if user:
            if role is not None:
                _fail(f"--role and --user: the token has the role of user {user}", 2)
            name, token = accounts.tokens.create_for_user(
                user, name=name or None, expires_at=expires_at
            )
            what = f"for user {user}"
        else:
            role = role or Role.AGENT
            # Without a name every token would be one agent: two agents' claims would both win.
            name = name or new_token_name(role.value)
            token = accounts.tokens.create(role, name, expires_at=expires_at)
            what = f"with role {role.value}"
    except InvalidName as exc:
        _fail(str(exc), 2)
    except TokenRefused as exc:
        _fail(str(exc))
    until = f", valid until {_shown(expires_at)}" if expires_at else ""
    _say(f"created token {name} {what}{until}; keep it secret, it is not shown again:")
    print(token)


@token_app.command("list")
def token_list() -> None:
    """Every token: name, user, role, created, expires, revoked (never the secret)."""
    tokens = _accounts().tokens.all()
    _print_rows(
        ("name", "user", "role", "created", "expires", "revoked"),
        (
            (
                t.name,
                t.user or "-",
                t.role.value,
                _shown(t.created_at),
                _shown(t.expires_at),
                _shown(t.revoked_at),
            )
            for t in tokens
        ),
    )


@token_app.command("revoke")
def token_revoke(
    name: Annotated[str, typer.Argument(help="The token's name (as `token list` shows it).")],
) -> None:
    """Revoke the tokens with this name (a running API notices within 10 seconds)."""
    from services.infra.auth import TokenNotFound

    try:
        revoked = _accounts().tokens.revoke(name)
    except TokenNotFound as exc:
        _fail(str(exc))
    _say(f"revoked {revoked} token(s) named {name}")


@user_app.command("create")
def user_create(
    name: Annotated[str, typer.Argument(help="The user's name (recorded as who acted).")],
    role: Annotated[Role, typer.Option(help="What the user may do.")],
    team: Annotated[str | None, typer.Option(help="The user's team.")] = None,
) -> None:
    """Create a user. The password is read from standard input when that is not a
    terminal; otherwise one is generated and printed alone on the last line."""
    from services.infra.accounts import UserExists
    from services.infra.auth import InvalidName
    from services.infra.passwords import WeakPassword

    password, generated = _new_password()
    accounts = _accounts()
    try:
        user = accounts.users.create(name, role, password, team=team)
    except (InvalidName, WeakPassword) as exc:
        _fail(str(exc), 2)
    except UserExists as exc:
        _fail(str(exc))
    in_team = f" in team {user.team}" if user.team else ""
    _say(f"created user {user.name} with role {user.role.value}{in_team}")
    if generated:
        _say("the generated password; keep it secret, it is not shown again:")
        print(password)


@user_app.command("list")
def user_list() -> None:
    """Every user: name, role, team, created, disabled, locked (until)."""
    users = _accounts().users.all()
    now = datetime.now(UTC)  # a lock that has ended is no lock
    _print_rows(
        ("name", "role", "team", "created", "disabled", "locked"),
        (
            (
                u.name,
                u.role.value,
                u.team or "-",
                _shown(u.created_at),
                _shown(u.disabled_at),
                _shown(u.locked_until if u.locked_until and u.locked_until > now else None),
            )
            for u in users
        ),
    )


@user_app.command("disable")
def user_disable(name: Annotated[str, typer.Argument(help="The user's name.")]) -> None:
    """Disable a user: no more logins, and the user's tokens stop working."""
    from services.infra.accounts import UserNotFound

    try:
        _accounts().users.disable(name)
    except UserNotFound as exc:
        _fail(str(exc))
    _say(f"disabled user {name}")


@user_app.command("passwd")
def user_passwd(name: Annotated[str, typer.Argument(help="The user's name.")]) -> None:
    """Set a user's password (from standard input, or generated and printed alone on
    the last line, as for `user create`); also lifts a login lock."""
    from services.infra.accounts import UserNotFound
    from services.infra.passwords import WeakPassword

    password, generated = _new_password()
    try:
        _accounts().users.set_password(name, password)
    except WeakPassword as exc:
        _fail(str(exc), 2)
    except UserNotFound as exc:
        _fail(str(exc))
    _say(f"set a new password for user {name}")
    if generated:
        _say("the generated password; keep it secret, it is not shown again:")
        print(password)


@app.command()
def demo(
    customers: Annotated[int, typer.Option(min=1)] = 1000,
    interactions: Annotated[int, typer.Option(min=1)] = 20000,
    seed: Annotated[int, typer.Option(help="Same seed, same data.")] = 42,
) -> None:
    """Load realistic sample data (German and English SMS histories up to now, with
    complaint cases: today's open ones, a few overdue, most resolved in time)."""
    from eventsourcing.persistence import IntegrityError

    from services.app.demo import demo_loaded, load_demo, resolve_demo_cases
    from services.app.demo_orders import load_demo_orders
    from services.wiring.hub import build_hub

    hub = build_hub(_settings())
    already = f"demo data with seed {seed} is already loaded (another: --seed N)"
    # Loading the same sample twice is a no-op, so `demo && serve` can be re-run.
    sample = {"customers": customers, "interactions": interactions, "seed": seed}
    if demo_loaded(hub.store, secret=hub.address_secret, **sample):  # nothing to start
        console.print(already)
        return
    # Transient: each bar is erased when its step ends, however it ends, so no
    # half-drawn bar is left behind; a line per finished step says what was done.
    with _progress(transient=True) as progress:
        task = progress.add_task("recording interactions", total=interactions)
        try:
            loaded = load_demo(
                hub.store,
                secret=hub.address_secret,
                customers=customers,
                interactions=interactions,
                seed=seed,
                progress=lambda n: progress.advance(task, n),
            )
        except IntegrityError:  # another run loaded it meanwhile
            console.print(already)
            return
        progress.remove_task(task)
        console.print(f"recorded {customers} customers with {loaded.interactions} interactions")
        task = progress.add_task("recording orders", total=None)
        ordered = load_demo_orders(
            hub.store,
            loaded.customer_ids,
            seed=seed,
            now=datetime.now(UTC),
            progress=lambda n: progress.advance(task, n),
        )
        progress.remove_task(task)
        console.print(f"recorded {ordered} orders")
        task = progress.add_task("opening complaint cases", total=None)
        intake = hub.complaints.intake
        intake.catch_up()
        resolved = resolve_demo_cases(hub.complaints.desk, loaded.cases)
        intake.catch_up()
        intake.flush()
        progress.remove_task(task)
        total = hub.store.max_notification_id() - hub.projector.position
        task = progress.add_task("projecting read models", total=total * len(hub.views.all))
        hub.projector.catch_up(progress=lambda n: progress.advance(task, n))
        # The SLA clock's breaches and warnings due by now, as `serve` would raise them.
        hub.complaints.scheduler.tick()
        hub.projector.catch_up()
        progress.remove_task(task)
    cases = len(hub.views.complaints.all_case_ids())
    console.print(f"loaded {cases} complaint cases ({resolved} resolved by the demo's agents)")


@app.command()
def replay() -> None:
    """Drop and rebuild every read model from the event store; prints their checksums."""
    from services.entry.workers.processes import tune_gc_for_batches
    from services.wiring.hub import build_hub

    settings = _settings()
    with _exclusive(settings, "projector"):
        hub = build_hub(settings, parts=("projector",))
        tune_gc_for_batches()
        total = hub.store.max_notification_id()
        with _progress() as progress:
            task = progress.add_task("rebuilding read models", total=total * len(hub.views.all))
            hub.projector.rebuild(progress=lambda n: progress.advance(task, n))
        for view in hub.views.all:
            print(f"{view.name} {view.checksum()}")


@app.command()
def schema(
    out: Annotated[Path, typer.Option(help="Folder to write the JSON Schemas into.")] = Path(
        "schemas"
    ),
) -> None:
    """Write the JSON Schema of every event type and the AsyncAPI document of the
    Kafka topics (asyncapi.json), for downstream teams."""
    from events.schema import event_schemas
    from services.infra.kafka.asyncapi import asyncapi_document

    out.mkdir(parents=True, exist_ok=True)
    documents = {**event_schemas(), "asyncapi": asyncapi_document()}
    for name, document in documents.items():
        (out / f"{name}.json").write_text(json.dumps(document, indent=2, ensure_ascii=False))
        console.print(f"wrote {out / (name + '.json')}")


@sla_app.command("reapply")
def sla_reapply() -> None:
    """Re-evaluate every complaint, closed ones included, under the SLA policy now
    configured (CONTACTHUB_SLA_*): rebuilds the queues and records the breaches the
    policy implies. Safe to repeat: nothing is recorded twice under one policy."""
    from services.wiring.hub import build_hub

    hub = build_hub(_settings(), parts=("projector", "complaints"))
    complaints = hub.complaints
    hub.projector.catch_up()  # the queues rebuild themselves when the policy changed
    complaints.intake.catch_up()
    hub.projector.catch_up()
    recorded = complaints.scheduler.reapply()
    hub.projector.catch_up()
    cases = len(hub.views.complaints.all_case_ids())
    console.print(
        f"SLA policy {complaints.config.policy.policy_id}: {cases} cases evaluated, "
        f"{recorded} warning and breach events recorded"
    )
    print(f"{complaints.config.policy.policy_id} {cases} {recorded}")


@orders_app.command("import")
def orders_import(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="CSV, one row per order line.")
    ],
) -> None:
    """Import an order history: columns order_id, customer_id | email | phone,
    ordered_at (ISO 8601 with zone), currency, sku, name, category, quantity,
    unit_price; consecutive rows of one order_id are one order. Re-importing
    records nothing twice; malformed orders are listed and skipped (exit code 1)."""
    from services.app.orders.importer import parse
    from services.wiring.hub import build_hub

    hub = build_hub(_settings(), parts=("store", "order_importer"))
    with file.open("rb") as raw:
        total = sum(1 for _ in raw) - 1  # the header
    with _progress() as progress, file.open(newline="", encoding="utf-8-sig") as source:
        task = progress.add_task("importing order lines", total=max(total, 0))
        report = hub.order_importer.run(parse(source), progress=lambda n: progress.advance(task, n))
    for error in report.errors[:50]:
        console.print(f"[red]{error}[/red]")
    if len(report.errors) > 50:
        console.print(f"[red]... and {len(report.errors) - 50} more[/red]")
    console.print(
        f"imported {report.orders} orders ({report.lines} lines), {report.duplicates} "
        f"recorded before, {report.customers_created} new customers, "
        f"{len(report.errors)} skipped"
    )
    print(f"{report.orders} {report.lines} {report.duplicates} {len(report.errors)}")
    if report.errors:
        raise typer.Exit(1)


@dev_app.command("sign-twilio")
def sign_twilio(
    url: Annotated[str, typer.Argument(help="The full URL Twilio would call.")],
    params: Annotated[list[str], typer.Argument(help="Form fields as NAME=VALUE.")],
) -> None:
    """Print the X-Twilio-Signature for a form post (uses CONTACTHUB_TWILIO_AUTH_TOKEN)."""
    from adapters.sms.verify import twilio_signature

    settings = _settings()
    if not settings.twilio_auth_token:
        console.print("[red]set CONTACTHUB_TWILIO_AUTH_TOKEN first[/red]")
        raise typer.Exit(2)
    form = dict(p.split("=", 1) for p in params)
    print(twilio_signature(settings.twilio_auth_token, url, form))


def main() -> None:
    app()
