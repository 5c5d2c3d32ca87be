"""``minyi``: the one command for every operation."""

from __future__ import annotations

import sys
from contextlib import contextmanager

import click

from bot.cli_routing import routing
from bot.codes import KINDS as CODE_KINDS
from bot.config import ConfigError, load_settings
from models.staff import StaffRole


def _app(overrides=None, *, serving: bool = False):
    """The app's services for a command; ``serving`` only for the commands that serve or run the
    scheduler (they log what an operator must know at start: see ``create_app``)."""
    from bot import create_app

    return create_app(overrides, serving=serving)  # a ConfigError is answered by _Commands.invoke


def _settings():
    return load_settings()


class _Commands(click.Group):
    """Every command's configuration and database errors as one line, not a traceback."""

    def invoke(self, ctx: click.Context):
        import requests
        from sqlalchemy.exc import DBAPIError
        from wechatpy.exceptions import WeChatClientException

        from bot.redact import redact

        try:
            return super().invoke(ctx)
        except ConfigError as error:
            raise click.ClickException(str(error)) from None
        except requests.RequestException as error:
            raise click.ClickException(redact(f"could not reach WeChat: {error}")) from None
        except WeChatClientException as error:
            raise click.ClickException(redact(f"WeChat refused: {error.errcode} {error.errmsg}")) from None
        except DBAPIError as error:
            cause = str(error.orig).strip().splitlines()[0] if error.orig is not None else type(error).__name__
            missing_table = "no such table" in cause or (cause.startswith("relation ") and "does not exist" in cause)
            hint = " (has `minyi db upgrade` run?)" if missing_table else ""
            raise click.ClickException(f"database error: {cause}{hint}") from None


@click.group(cls=_Commands)
@click.option("-v", "--verbose", is_flag=True, help="Log debug detail.")
def main(verbose: bool) -> None:
    """民意直通车 (minyi): WeChat intake for People's Congress contact points."""
    from bot.logs import configure_logging

    configure_logging(verbose)


@main.group()
def db() -> None:
    """Database schema (Alembic migrations)."""


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    from alembic import command

    from migrations import alembic_config

    settings = _settings()
    known = _revisions()
    if revision != "head" and revision not in known:
        raise click.ClickException(f"no migration {revision!r}; the revisions are {', '.join(known)} (default: head)")
    with _alembic_errors(f"cannot upgrade to {revision!r}"):
        command.upgrade(alembic_config(settings.database_url), revision)
    current = _current_revision(settings.database_url)
    past = f", past {revision} (upgrade never goes back)" if revision not in ("head", current) else ""
    click.echo(f"database is at {current}{past}: {_safe_url(settings.database_url)}")


@db.command("revision")
@click.option("-m", "--message", required=True)
def db_revision(message: str) -> None:
    """(Developers) write a new migration from the models' differences."""
    from alembic import command

    from migrations import alembic_config

    with _alembic_errors("cannot write a migration"):
        command.revision(alembic_config(_settings().database_url), message=message, autogenerate=True)


@contextmanager
def _alembic_errors(what: str):
    """Alembic's refusals (a database behind head for a revision, say) as one line."""
    from alembic.util import CommandError

    try:
        yield
    except CommandError as error:
        raise click.ClickException(f"{what}: {error}") from None


def _revisions() -> list[str]:
    """The migrations' revision ids, oldest first."""
    from alembic.script import ScriptDirectory

    from migrations import SCRIPT_LOCATION

    return [rev.revision for rev in reversed(list(ScriptDirectory(str(SCRIPT_LOCATION)).walk_revisions()))]


def _current_revision(database_url: str) -> str:
    from alembic.runtime.migration import MigrationContext

    from bot.db import make_engine

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision() or "base"
    finally:
        engine.dispose()


@main.group()
def demo() -> None:
    """The fictional demo district (示例区)."""


@demo.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing (and succeed) when the database has data.")
def demo_load(if_empty: bool) -> None:
    """Fill an empty database with 示例区: people, places, staff accounts and 60 cases."""
    from sqlalchemy.orm import Session

    from bot.clock import SystemClock
    from bot.db import make_engine
    from demo.load import is_empty, load

    engine = make_engine(_settings().database_url)
    try:
        with Session(engine) as session:
            if not is_empty(session):
                if if_empty:
                    click.echo("demo: the database already has data; nothing loaded")
                    return
                raise click.ClickException("the database already has data; the demo loads only into an empty one")
            loaded = load(session, SystemClock().now())
    finally:
        engine.dispose()
    click.echo(f"demo: 示例区 loaded with {loaded.cases} cases. Console accounts (shown once, keep them):")
    for username, password in loaded.passwords.items():
        click.echo(f"  {username:<14} {password}")


@main.group()
def user() -> None:
    """Staff accounts for the console."""


@user.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([role.value for role in StaffRole]))
@click.option("--unit", "unit_code", help="Code of the sub-district or department the account serves "
              "(`minyi codes sub-districts` / `minyi codes departments` list them).")
@click.option("--name", "display_name", default="", help="Name shown in the console.")
@click.option("--password", help="Asked for when not given (at least 10 characters).")
def user_create(username: str, role: str, unit_code: str | None, display_name: str, password: str | None) -> None:
    """Create a console account."""
    from sqlalchemy.orm import Session

    from accounts.staff import AccountError, check_account_place, create_staff_user
    from bot.clock import SystemClock
    from bot.db import make_engine

    engine = make_engine(_settings().database_url)
    try:
        # The unit is checked before the password is asked for, in a transaction ended before the
        # prompt (SQLite's write lock is not held while someone types).
        with Session(engine) as session:
            check_account_place(session, username, role, unit_code)
        if password is None:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        with Session(engine) as session:
            create_staff_user(session, username=username, display_name=display_name, role=role,
                              unit_code=unit_code, password=password, now=SystemClock().now())
            session.commit()
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    finally:
        engine.dispose()
    click.echo(f"account {username} ({role}) created")


@main.command("codes")
@click.argument("kind", required=False, type=click.Choice(list(CODE_KINDS)))
def codes(kind: str | None) -> None:
    """List the codes other commands take, with their names: sub-districts, contact-points,
    representatives, departments or staff (every kind when none is named)."""
    from sqlalchemy.orm import Session

    from bot.codes import aligned, code_rows
    from bot.db import make_engine

    engine = make_engine(_settings().database_url)
    try:
        with Session(engine.execution_options(sqlite_begin="DEFERRED")) as session:
            for index, name in enumerate([kind] if kind else CODE_KINDS):
                rows = code_rows(session, name)
                click.echo(("\n" if index else "") + f"{name} (minyi {CODE_KINDS[name].used_by}):")
                click.echo("\n".join(aligned(rows)) if rows else "  (none)")
    finally:
        engine.dispose()


def sandbox_overrides(values: dict, wanted: bool | None, own_api: str) -> dict[str, object]:
    """The rule of every command that talks to WeChat: sandbox mode when asked, or when no
    account is configured; its fake WeChat API is then ``own_api`` (unless one is configured):
    the served app itself for ``minyi run``, this very process for the others."""
    from bot.config import WECHAT_API

    if wanted is None:
        wanted = bool(values["wechat.sandbox"]) or not (values["wechat.appid"] and values["wechat.secret"])
    if not wanted:
        return {"wechat.sandbox": False}
    overrides: dict[str, object] = {"wechat.sandbox": True}
    if values["wechat.api_base_url"] == WECHAT_API:
        overrides["wechat.api_base_url"] = own_api
    return overrides


def served_api(host: str, port: int) -> str:
    """The fake WeChat API of an app served on ``host``:``port``."""
    own_host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    return f"http://{own_host}:{port}/sandbox/api/cgi-bin/"


def _wechat_app():
    """The app for a command that calls WeChat and serves nothing (``qr …``): `minyi run`'s rule,
    with the sandbox's fake answering in this process, so no server needs to run."""
    from bot.config import load_values
    from bot.services import services
    from bot.wechat_client import IN_PROCESS_API

    app = _app(sandbox_overrides(load_values(), None, IN_PROCESS_API))
    if services(app).settings.wechat_sandbox:
        click.echo("Sandbox mode (no WeChat account configured), so the codes come from minyi's own fake WeChat "
                   "and scan in its phone simulator (minyi run), not in real WeChat.", err=True)
    return app


@main.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--sandbox/--no-sandbox", default=None,
              help="Serve the WeChat sandbox and phone simulator (default: when no wechat.appid is set).")
def run(host: str, port: int, sandbox: bool | None) -> None:
    """Serve the app and run the scheduler in one process (production: gunicorn 'bot:create_app()'
    and one `minyi scheduler`)."""
    from werkzeug.serving import make_server

    from bot.config import load_values
    from bot.logs import AccessLogRequestHandler
    from bot.services import services
    from scheduler.runner import start_in_background

    overrides = sandbox_overrides(load_values(), sandbox, served_api(host, port))
    app = _app(overrides, serving=True)
    settings = services(app).settings
    server = make_server(host, port, app, threaded=True, request_handler=AccessLogRequestHandler)
    click.echo(f"minyi serving on http://{host}:{port}  (webhook: http://{host}:{port}/wechat)")
    click.echo(f"database: {_safe_url(settings.database_url)}")
    if settings.wechat_sandbox:
        click.echo(f"Sandbox mode, no real WeChat account: open http://{host}:{port}/sandbox/ to play a "
                   "resident or a representative on a simulated phone.")
    # No account, no token: create_app has said so (WARNING), as it does under gunicorn.
    scheduler = start_in_background(app)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped")
    finally:
        scheduler.shutdown(wait=False)
        services(app).dispose()


@main.command("scheduler")
@click.option("--once", is_flag=True, help="Run every job once and exit (for cron or a check).")
def scheduler_command(once: bool) -> None:
    """Run the background jobs (one active process at a time; see scheduler.runner)."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    from bot.services import services
    from scheduler.jobs import run_pass
    from scheduler.runner import add_jobs

    app = _app(serving=True)
    if once:
        with app.app_context():
            for job_id, count in run_pass(services(app)).items():
                click.echo(f"{job_id}: {count}")
        return
    click.echo("minyi scheduler running; Ctrl-C stops it")
    try:
        add_jobs(BlockingScheduler(timezone="UTC"), app).start()
    except KeyboardInterrupt:
        click.echo("stopped")


@main.group()
def qr() -> None:
    """Representatives' QR codes and printable posters (公示牌)."""


@qr.command("posters")
@click.option("--sub-district", "sub_district",
              help="Code of one sub-district: one PDF of its representatives (`minyi codes sub-districts`).")
@click.option("--contact-point", "contact_point",
              help="Code of one contact point: its poster and its representatives' (`minyi codes contact-points`).")
@click.option("--all", "everything", is_flag=True, help="Every sub-district, one PDF each.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Folder for the PDFs and PNGs.")
@click.option("--paper", type=click.Choice(["A4", "A3"]), default="A4", show_default=True)
@click.option("--no-png", is_flag=True, help="Only the PDFs.")
@click.option("--zip", "zips", is_flag=True, help="Also one zip of the PNGs per PDF.")
def qr_posters(sub_district: str | None, contact_point: str | None, everything: bool, out_dir: str, paper: str,
               no_png: bool, zips: bool) -> None:
    """Write posters at 300 dpi: one PDF per sub-district or contact point, one PNG per poster.
    Representatives without a QR code get one from WeChat first (once, for good)."""
    from pathlib import Path

    from sqlalchemy.orm import Session

    from bot.services import services
    from qr.export import ExportError, export_posters
    from qr.fonts import FontMissing, cjk_font_paths

    if sum(bool(choice) for choice in (sub_district, contact_point, everything)) != 1:
        raise click.UsageError("choose one of --sub-district CODE, --contact-point CODE or --all")
    app = _wechat_app()
    svc = services(app)
    try:
        cjk_font_paths(svc.settings.posters_font_path)
        with Session(svc.engine) as session:
            result = export_posters(session, svc.wechat, svc.settings, Path(out_dir), svc.clock.now(),
                                    sub_district=sub_district,
                                    contact_point=contact_point, paper=paper, pngs=not no_png, zips=zips)
    except (ExportError, FontMissing) as error:
        raise click.ClickException(str(error)) from None
    finally:
        svc.dispose()
    for pdf in result.pdfs:
        click.echo(f"wrote {pdf}")
    click.echo(f"{result.pngs} PNG posters; {result.codes_created} new QR codes created through WeChat")


def _representative_command(code: str, act):
    """Run ``act(session, services, representative)`` for the representative with ``code``."""
    from models import Representative

    return _holder_command(Representative, Representative.code, code, "representatives", act)


def _staff_command(username: str, act):
    """Run ``act(session, services, staff_user)`` for the console account ``username``."""
    from models import StaffUser

    return _holder_command(StaffUser, StaffUser.username, username, "staff", act)


def _holder_command(model, key, value: str, kind: str, act):
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from bot.codes import unknown_code
    from bot.services import services

    app = _wechat_app()
    svc = services(app)
    try:
        with Session(svc.engine) as session:
            holder = session.scalar(select(model).where(key == value))
            if holder is None:
                raise click.ClickException(unknown_code(session, kind, value))
            result = act(session, svc, holder)
            session.commit()
            return result
    finally:
        svc.dispose()


@qr.command("bind-code")
@click.argument("code", required=False)
@click.option("--staff", "staff_username", help="A console account's username instead of a representative's code.")
@click.option("--out", "out_file", type=click.Path(dir_okay=False), help="Also save the code as a PNG here.")
def qr_bind_code(code: str | None, staff_username: str | None, out_file: str | None) -> None:
    """A one-time code (10 minutes) for representative CODE, or a clerk (--staff NAME), to bind their
    own WeChat: they scan it, and cases reach them there and can be answered from the chat. Show
    it on a screen or print it; it binds exactly once. `minyi codes representatives` and
    `minyi codes staff` list the codes and names."""
    from pathlib import Path

    from qr.binding import issue_bind_code
    from qr.codes import qr_png
    from texts import beijing_time

    if bool(code) == bool(staff_username):
        raise click.UsageError("give a representative's CODE or --staff USERNAME (one of the two)")
    act = lambda session, svc, holder: issue_bind_code(session, svc.wechat, holder, svc.clock.now())  # noqa: E731
    if staff_username:
        url, expires_at = _staff_command(staff_username, act)
    else:
        url, expires_at = _representative_command(code, act)
    if out_file:
        Path(out_file).write_bytes(qr_png(url))
        click.echo(f"saved {out_file}")
    click.echo(f"bind code for {code or staff_username}: {url}  (valid until {beijing_time(expires_at)} "
               "Beijing time, once)")


@qr.command("reissue")
@click.argument("code")
@click.option("--reason", required=True, help="Why the old code is retired (recorded).")
@click.option("--by", "issued_by", default="", help="Who asked for it (recorded).")
def qr_reissue(code: str, reason: str, issued_by: str) -> None:
    """Retire representative CODE's poster code and create a new one (after a compromise). The old
    posters stop binding residents: print and hang the new ones."""
    from qr.codes import reissue_permanent_qr

    if not reason.strip():
        raise click.UsageError("--reason must say why")
    url = _representative_command(code, lambda session, svc, rep: reissue_permanent_qr(
        session, svc.wechat, rep, svc.clock.now(), reason, issued_by))
    click.echo(f"new code for {code}: {url}; print new posters with: minyi qr posters --contact-point …")


@main.group()
def outbox() -> None:
    """Messages pushed to WeChat (notices to residents, representatives and staff)."""


@outbox.command("failed")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
def outbox_failed(limit: int) -> None:
    """Notices that could not be delivered, newest first: reach these people another way."""
    from bot.logs import pseudonym
    from bot.services import services
    from cases.numbering import case_number
    from models import Case
    from scheduler.outbox import failed
    from texts import beijing_time

    svc = services(_app())
    try:
        rows = failed(svc.engine, limit)
        numbers = {}
        if rows:
            from sqlalchemy import select

            with svc.engine.connect() as conn:
                numbers = {row.id: case_number(row.id, row.created_at) for row in conn.execute(
                    select(Case.id, Case.created_at).where(Case.id.in_({r.case_id for r in rows if r.case_id})))}
    finally:
        svc.dispose()
    if not rows:
        click.echo("no failed notices")
        return
    click.echo(f"{len(rows)} failed notice(s), newest first (times are Beijing time):")
    for row in rows:
        why = row.job_status or (f"{row.last_errcode} " if row.last_errcode else "") + (row.last_error or "")
        click.echo(f"  #{row.id}  {beijing_time(row.created_at)}  case {numbers.get(row.case_id, '-')}  "
                   f"{row.purpose} to {pseudonym(row.openid)} via {row.channel}, {row.attempts} attempt(s): {why.strip()}")


@main.group()
def spool() -> None:
    """Deliveries this machine kept while the database was unreachable (spool.dir)."""


@spool.command("status")
def spool_status() -> None:
    """How many deliveries wait to be filed, and since when (reads only the spool folder)."""
    from bot.spool import Spool
    from texts import beijing_time

    kept = Spool(_settings().spool_dir)
    waiting, failed = kept.paths(), kept.failed_paths()
    click.echo(f"spool {kept.directory}: {len(waiting)} waiting, {len(failed)} set aside after an error")
    times = []
    for path in waiting:
        try:
            times.append(Spool.read(path).received_at)
        except (FileNotFoundError, ValueError, KeyError):
            continue  # filed meanwhile, or unreadable (the next drain sets it aside)
    if times:
        click.echo(f"oldest received {beijing_time(min(times))} (Beijing time)")
    if failed:
        click.echo("set aside: see the web log for why; `minyi spool drain --failed` tries them again")


@spool.command("drain")
@click.option("--failed", "retry_failed", is_flag=True, help="Also try again the deliveries set aside after an error.")
def spool_drain(retry_failed: bool) -> None:
    """File the kept deliveries now (the web processes do it on their own once the database is back)."""
    from bot.drainer import drain
    from bot.services import services

    svc = services(_app())
    try:
        restored = svc.deliveries.spool.restore_failed() if retry_failed else 0
        result = drain(svc.deliveries, wait=True)
    finally:
        svc.dispose()
    if restored:
        click.echo(f"{restored} set-aside deliveries put back in line")
    click.echo(f"filed {result.filed}, set aside {result.set_aside}, {result.left} left")
    if result.database_down:
        raise click.ClickException("the database is still unreachable; the rest stay in the spool")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


main.add_command(routing)

if __name__ == "__main__":
    sys.exit(main())
