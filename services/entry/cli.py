"""The `contacthub` command line."""

from __future__ import annotations

import asyncio
import getpass
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
    from services.infra.audit_keys import AuditSigner
    from services.infra.partners import PartnerDirectory
    from services.wiring.accounts import Accounts
    from services.wiring.hub import Hub

app = typer.Typer(help="contacthub: event-sourced multichannel contact hub.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens for agents, supervisors, auditors and admins.")
app.add_typer(token_app, name="token")
user_app = typer.Typer(help="User accounts: name, role, team and password.")
app.add_typer(user_app, name="user")
partner_app = typer.Typer(
    help="Partner organisations: what is shared with them (docs/partners.md)."
)
app.add_typer(partner_app, name="partner")
dev_app = typer.Typer(help="Helpers for trying the hub out by hand.")
app.add_typer(dev_app, name="dev")
retention_app = typer.Typer(help="The retention policy (CONTACTHUB_RETENTION_MONTHS).")
app.add_typer(retention_app, name="retention")
customer_app = typer.Typer(help="One customer: erase.")
app.add_typer(customer_app, name="customer")
sla_app = typer.Typer(help="Complaint SLAs: re-apply a changed policy to the history.")
app.add_typer(sla_app, name="sla")
customer_app = typer.Typer(help="One customer's data: the data subject access export.")
app.add_typer(customer_app, name="customer")
audit_app = typer.Typer(
    help="Audit: what the hub knew, when (show), and signed, tamper-evident exports."
)
app.add_typer(audit_app, name="audit")
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
    """Run gateway, recorder, projector and API: the embedded default.

    HTTP in this process; the projector and the policies in a second process,
    which it starts and stops."""
    import uvicorn

    from services.entry.api.app import create_app
    from services.entry.workers.followers import FollowersProcess
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
        # The projector and the policies run in a second process, woken by every
        # write: beside the webhooks they competed for the same interpreter.
        followers = FollowersProcess(host, port)
        app = create_app(hub, run_projector=False, followers=followers)
        uvicorn.run(app, host=host, port=port, log_level="info", access_log=access_log)


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


def _distributed(kafka: bool, service: str) -> Settings:
    from services.entry.workers.processes import ConfigurationError, check_distributed
    from services.infra.secrets import SecretRefused, check_secrets

    settings = _settings()
    try:
        check_distributed(settings, kafka=kafka)
        check_secrets(settings, service)
    except (ConfigurationError, SecretRefused) as exc:
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
    configured = _distributed(kafka=True, service="gateway")
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
    hub = build_hub(_distributed(kafka=False, service="api"), parts=API_PARTS)
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
    run(_distributed(kafka=True, service="recorder"), health_port)


@run_app.command("orders")
def run_orders(health_port: HealthPort = None) -> None:
    """Kafka topic contacthub.orders.v1 -> event store (invalid orders to its .dlq)."""
    from services.entry.workers.processes import run_orders as run

    _logging()
    run(_distributed(kafka=True, service="orders"), health_port)


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
    run(
        _distributed(kafka=False, service="projector"),
        [v.value for v in view] if view else None,
        health_port,
    )


@run_app.command("partner-webhooks")
def run_partner_webhooks(health_port: HealthPort = None) -> None:
    """Event store -> partners' webhook endpoints, signed, retried, dead letters
    (docs/partners.md). Run one per store, and not beside `serve` (which runs it)."""
    from services.entry.workers.processes import run_partner_webhooks as run

    _logging()
    run(_distributed(kafka=False, service="partner-webhooks"), health_port)


@run_app.command("publisher")
def run_publisher(health_port: HealthPort = None) -> None:
    """Event store -> Kafka topic contacthub.events.v1, keyed by customer."""
    from services.entry.workers.processes import run_publisher as run

    _logging()
    run(_distributed(kafka=True, service="publisher"), health_port)


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
    partner: Annotated[
        str,
        typer.Option(
            metavar="ORG",
            help="A partner token (role partner) bound to this partner organisation: "
            "it sees only what is shared with ORG.",
        ),
    ] = "",
) -> None:
    """Create an API token; it is printed once, alone on the last line."""
    from services.infra.auth import InvalidName, TokenRefused, new_token_name

    accounts = _accounts()
    expires_at = accounts.tokens.clock() + timedelta(days=expires_in) if expires_in else None
    try:
        if partner:
            if user or role not in (None, Role.PARTNER):
                _fail("--partner makes a partner token: no --user, no other --role", 2)
            if _partners().get(partner) is None:
                _fail(f"no partner {partner} (contacthub partner create {partner})")
            name = name or new_token_name(partner)
            token = accounts.tokens.create(
                Role.PARTNER, name, expires_at=expires_at, partner=partner
            )
            what = f"for partner {partner}"
        elif user:
            if role is not None:
                _fail(f"--role and --user: the token has the role of user {user}", 2)
            name, token = accounts.tokens.create_for_user(
                user, name=name or None, expires_at=expires_at
            )
            what = f"for user {user}"
        else:
            if role is Role.PARTNER:
                _fail("a partner token is made with --partner ORG", 2)
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


def _partners() -> PartnerDirectory:
    from services.wiring.partners import open_partners

    return open_partners(_settings(), lambda: datetime.now(UTC))


@partner_app.command("create")
def partner_create(
    name: Annotated[
        str, typer.Argument(help="The organisation's name (its tokens are bound to it).")
    ],
    site: Annotated[
        list[str] | None,
        typer.Option(
            help="A site of the partner (repeatable): appointments located there are shared."
        ),
    ] = None,
) -> None:
    """Create a partner organisation (a logistics company, a repair service, a dealer)."""
    from services.infra.auth import InvalidName
    from services.infra.partners import PartnerExists

    try:
        partner = _partners().create(name, site or [])
    except InvalidName as exc:
        _fail(str(exc), 2)
    except PartnerExists as exc:
        _fail(str(exc))
    sites = f" with sites {', '.join(partner.sites)}" if partner.sites else ""
    _say(f"created partner {partner.name}{sites}")


@partner_app.command("list")
def partner_list() -> None:
    """Every partner organisation: name, created, sites."""
    _print_rows(
        ("name", "created", "sites"),
        ((p.name, _shown(p.created_at), ", ".join(p.sites) or "-") for p in _partners().all()),
    )


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
    from services.app.demo_complaints import categorise_demo_cases, complaint_products
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
        order_events = load_demo_orders(
            hub.store,
            loaded.customer_ids,
            seed=seed,
            now=datetime.now(UTC),
            progress=lambda n: progress.advance(task, n),
        )
        progress.remove_task(task)
        ordered = sum(1 for e in order_events if e.type == "OrderPlaced")
        console.print(f"recorded {ordered} orders")
        task = progress.add_task("opening complaint cases", total=None)
        intake = hub.complaints.intake
        intake.catch_up()
        resolved = resolve_demo_cases(hub.complaints.desk, loaded.cases)
        # What each complaint is about: a product the customer had ordered. After
        # the resolutions: the desk records the SLA events due by now with a step,
        # and a case resolved in time has none.
        products = complaint_products(loaded.complaints, order_events, seed=seed)
        categorise_demo_cases(hub.complaints.desk, loaded.complaints, products)
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


@customer_app.command("export")
def customer_export(
    customer_id: Annotated[str, typer.Argument(help="The customer's id.")],
    out: Annotated[
        Path | None, typer.Option(help="Write to this file (default: standard output).")
    ] = None,
    as_zip: Annotated[
        bool, typer.Option("--zip", help="A ZIP of export.json and the attachments.")
    ] = False,
) -> None:
    """Everything the hub holds about the customer as one JSON document (or a ZIP
    with the attachments). The export is recorded in the access log."""
    from uuid import UUID

    from services.app.errors import CustomerNotFound
    from services.wiring.hub import build_hub

    try:
        wanted = UUID(customer_id)
    except ValueError:
        _fail(f"not a customer id: {customer_id!r}", 2)
    hub = build_hub(_settings(), parts=("store", "views", "exports", "access_log"))
    try:
        export = hub.exports.export(wanted)
    except CustomerNotFound:
        _fail(f"no customer {wanted}")
    hub.access_log.record(
        user=f"cli:{getpass.getuser()}", role="operator", what="export", customer_id=wanted
    )
    data = export.zip() if as_zip else export.json()
    if out is None:
        if as_zip and sys.stdout.isatty():
            _fail("a ZIP is binary: give --out FILE", 2)
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    out.write_bytes(data)
    console.print(f"wrote the export of {wanted} to {out} ({len(data)} bytes)")


@app.command()
def replay(
    verify: Annotated[
        bool,
        typer.Option(
            "--verify",
            help="Rebuild into a shadow copy instead and compare it with the live read "
            "models, table by table; the live ones are not touched. Exits 1 on a difference.",
        ),
    ] = False,
) -> None:
    """Drop and rebuild every read model from the event store; prints their checksums."""
    from services.entry.workers.processes import tune_gc_for_batches
    from services.wiring.hub import build_hub

    settings = _settings()
    if verify:
        _verify_replay(settings)
        return
    with _exclusive(settings, "projector"):
        hub = build_hub(settings, parts=("projector",))
        tune_gc_for_batches()
        total = hub.store.max_notification_id()
        with _progress() as progress:
            task = progress.add_task("rebuilding read models", total=total * len(hub.views.all))
            hub.projector.rebuild(progress=lambda n: progress.advance(task, n))
        for view in hub.views.all:
            print(f"{view.name} {view.checksum()}")


def _verify_replay(settings: Settings) -> None:
    from services.app.verified_replay import ViewKeptMoving, verify_rebuild
    from services.entry.workers.processes import tune_gc_for_batches
    from services.wiring.hub import build_hub, shadow_views

    # No projector lock: the live views are only read, so a running hub may go on.
    hub = build_hub(settings, parts=("store", "views"))
    tune_gc_for_batches()
    live = hub.views.all
    total = min((view.position() for view in live), default=0) * len(live)
    try:
        with shadow_views(settings) as shadow, _progress(transient=True) as progress:
            task = progress.add_task("rebuilding read models beside the live ones", total=total)
            comparisons = verify_rebuild(
                hub.store, live, shadow, progress=lambda n: progress.advance(task, n)
            )
    except ViewKeptMoving as exc:
        _fail(str(exc))
    _print_rows(
        ("table", "position", "live", "rebuilt", "result"),
        (
            (
                f"{c.view}.{c.table}",
                str(c.position),
                c.live,
                c.rebuilt,
                "same" if c.same else "DIFFERENT",
            )
            for c in comparisons
        ),
    )
    different = [f"{c.view}.{c.table}" for c in comparisons if not c.same]
    if different:
        _fail(f"the rebuilt read models differ from the live ones in: {', '.join(different)}")
    _say(f"the rebuilt read models equal the live ones ({len(comparisons)} tables)", "green")


def _instant(value: str | None, option: str) -> datetime | None:
    """An ISO 8601 instant; without an offset it is taken as UTC."""
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        _fail(f"{option}: not an ISO 8601 instant: {value}", 2)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _audit_signer() -> AuditSigner:
    from services.infra.audit_keys import InvalidKey, load_signer

    settings = _settings()
    try:
        return load_signer(settings.audit_signing_key, settings.data_dir)
    except InvalidKey as exc:
        _fail(str(exc), 2)


@audit_app.command("export")
def audit_export(
    out: Annotated[Path, typer.Option(help="The file to write (JSON lines).")],
    customer: Annotated[
        str | None, typer.Option(help="Only this customer's events (their id).")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Only events recorded at or after this ISO instant.")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Only events recorded before this ISO instant.")
    ] = None,
) -> None:
    """Write every event (decrypted; erased customers' personal data as erased) as
    hash-chained JSON lines, sealed with an Ed25519 signature over the chain's head.
    Prints the public key that verifies it."""
    from uuid import UUID

    from services.app.audit import AuditFilter, export_lines
    from services.wiring.hub import build_hub

    try:
        customer_id = UUID(customer) if customer else None
    except ValueError:
        _fail(f"--customer: not a customer id: {customer}", 2)
    selection = AuditFilter(customer_id, _instant(since, "--since"), _instant(until, "--until"))
    if selection.since and selection.until and selection.since >= selection.until:
        _fail("--since must be before --until", 2)
    signer = _audit_signer()
    hub = build_hub(_settings(), parts=("store",))
    partial = out.with_name(out.name + ".partial")  # a cut-short export is never taken for one
    lines = 0
    with _progress(transient=True) as progress, partial.open("wb") as file:
        task = progress.add_task("exporting events", total=hub.store.max_notification_id())
        for line in export_lines(
            hub.store,
            signer,
            selection,
            created_at=datetime.now(UTC),
            progress=lambda n: progress.advance(task, n),
        ):
            file.write(line)
            lines += 1
    partial.replace(out)
    _say(f"wrote {lines - 2} events to {out}, signed by the audit key; its public key:")
    print(signer.public_key)


@audit_app.command("verify")
def audit_verify(
    file: Annotated[Path, typer.Argument(help="An export of `contacthub audit export`.")],
    public_key: Annotated[
        str | None,
        typer.Option(
            help="The public key to trust (base64, or a file holding it); default: the "
            "key the file names, which proves integrity but not who signed it."
        ),
    ] = None,
) -> None:
    """Check an export: exits 0 if it is intact and signed, else 1 and names the first
    line that was changed, removed, inserted or reordered."""
    from services.app.audit import Verified, split_lines, verify_export
    from services.infra.audit_keys import InvalidKey, public_key_from

    try:
        trusted = public_key_from(public_key) if public_key else None
    except InvalidKey as exc:
        _fail(str(exc), 2)
    try:
        data = file.read_bytes()
    except OSError as exc:
        _fail(f"cannot read {file}: {exc.strerror}", 2)
    result = verify_export(split_lines(data), trusted)
    if not isinstance(result, Verified):
        print(f"{file}: {result}")
        _fail(f"{file} was tampered with: {result}")
    print(f"{file}: intact, {result.events} events, signed by {result.public_key}")
    if result.key_from_file:
        _say("checked against the key the file names; give --public-key to know who signed it")


@audit_app.command("public-key")
def audit_public_key(
    out: Annotated[
        Path | None, typer.Option(help="Also write it to this file (for --public-key).")
    ] = None,
) -> None:
    """Print the public key of the hub's audit signing key (base64)."""
    signer = _audit_signer()
    if out is not None:
        out.write_text(signer.public_key + "\n")
    print(signer.public_key)


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


def _views_current(hub: Hub) -> None:
    """Brings the read models to the store's end: waits for the projector that
    runs (`serve`, the projector processes), else projects here. Retention
    decides on them, so a contact not yet projected must not look absent."""
    from contextlib import suppress

    from eventsourcing.persistence import IntegrityError

    target = hub.store.max_notification_id()
    # A running projector polls every CONTACTHUB_POLL_INTERVAL (0.5 s by default).
    if hub.projector.wait_for(target, timeout=1.5):
        return
    with suppress(IntegrityError):  # a projector process wrote the same batch first
        hub.projector.catch_up()
    if not hub.projector.wait_for(target, timeout=60.0):
        _fail("the read models lag behind the event store; try again when they caught up")


@retention_app.command("run")
def retention_run(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only list whom the policy would erase.")
    ] = False,
) -> None:
    """Erase every customer with no contact for CONTACTHUB_RETENTION_MONTHS months;
    prints one customer id per line, then how many (erased, or with --dry-run due)."""
    from services.wiring.hub import build_hub

    settings = _settings()
    if settings.retention_months is None:
        _fail("no retention policy: set CONTACTHUB_RETENTION_MONTHS (months without contact)")
    hub = build_hub(settings, parts=("projector", "erasure"))
    _views_current(hub)  # decide on the views as the store stands now
    retention = hub.retention
    assert retention is not None
    done = retention.run(dry_run=dry_run)
    _views_current(hub)  # the views drop the erased customers' rows (and compact)
    for customer in done.customers:
        print(customer)
    verb = "due for erasure" if dry_run else "erased"
    console.print(
        f"retention: {len(done.customers)} customers {verb} "
        f"(no contact since {done.cutoff.isoformat(timespec='seconds')})"
    )


@customer_app.command("erase")
def customer_erase(
    customer_id: Annotated[str, typer.Argument(help="The customer's id.")],
    reason: Annotated[
        str, typer.Option(help="Why (a ticket number); kept readable, so no personal data.")
    ],
) -> None:
    """Erase one customer's personal data (what POST /api/v1/customers/{id}/erase does)."""
    from uuid import UUID

    from services.app.errors import CommandRefused, CustomerNotFound
    from services.wiring.hub import build_hub

    try:
        parsed = UUID(customer_id)
    except ValueError:
        _fail(f"not a customer id: {customer_id}", code=2)
    hub = build_hub(_settings(), parts=("projector", "erasure"))
    _views_current(hub)
    try:
        report = hub.erasure.erase(parsed, reason=reason, erased_by="cli")
    except CustomerNotFound:
        _fail(f"no customer {parsed}")
    except CommandRefused as exc:
        _fail(str(exc))
    _views_current(hub)
    if report.erased:
        console.print(
            f"erased {parsed}: {report.addresses_released} addresses released, "
            f"{report.blobs_deleted} blobs and {report.files_deleted} files deleted"
        )
    else:
        console.print(f"{parsed} had been erased before")


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


@audit_app.command("show")
def audit_show(
    customer: Annotated[str, typer.Option(help="The customer's id.")],
    as_of: Annotated[
        datetime,
        typer.Option(
            "--as-of",
            formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S"],
            help="An ISO 8601 instant (UTC if it has no offset).",
        ),
    ],
    limit: Annotated[int, typer.Option(min=1, help="Timeline entries included.")] = 200,
) -> None:
    """Print the customer 360 as the hub knew it at --as-of (by recorded time),
    folded from the events: the JSON of GET /api/v1/customers/ID?as_of=T."""
    from uuid import UUID

    from services.entry.api.routes.customers import load_360
    from services.wiring.hub import build_hub

    try:
        customer_id = UUID(customer)
    except ValueError:
        _fail(f"--customer {customer!r} is not a customer id (a UUID)", 2)
    at = as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC)
    hub = build_hub(_settings(), parts=("history", "access_log"))
    found = load_360(hub, None, customer_id, limit, at)
    if found is None:
        _fail(f"no customer {customer_id} as of {at.isoformat()}")
    hub.access_log.record(
        user=f"cli:{getpass.getuser()}",
        role="operator",
        what="customer_360",
        customer_id=customer_id,
    )
    print(found.model_dump_json(indent=2))


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
