"""The command line as a newcomer finds it: on the demo district and the embedded defaults, with no
server running and no WeChat account, the QR commands work (the sandbox's fake WeChat answers in
the process), every code a command takes can be listed, and mistakes get one clear line."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from bot.cli import main
from bot.codes import aligned, display_width, unknown_code_message
from bot.config import ConfigError
from bot.db import make_engine
from models import BindToken, QrCodeIssue, Representative
from qr.codes import decode_qr
from sandbox.world import qr_from_url
from tests.support import cli_environment

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory) -> Path:
    """The demo district, migrated and loaded by the commands a newcomer types, once per module."""
    folder = tmp_path_factory.mktemp("demo")
    path = folder / "minyi.sqlite3"
    runner = CliRunner()
    env = cli_environment(path)
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        for args in (["db", "upgrade"], ["demo", "load"]):
            done = runner.invoke(main, args, env=env)
            assert done.exit_code == 0, done.output
    finally:
        os.chdir(cwd)
    return path


@pytest.fixture
def newcomer(demo_database, tmp_path, monkeypatch):
    """Runs ``minyi …`` in a fresh copy of the demo database, in an empty folder, and makes sure
    nothing is sent over the network while it does."""
    database = tmp_path / "minyi.sqlite3"
    shutil.copy(demo_database, database)
    monkeypatch.chdir(tmp_path)
    sent = []

    def no_network(adapter, request, *args, **kwargs):
        sent.append(request.url)
        raise requests.ConnectionError(f"no network in this test: {request.url}")

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", no_network)
    runner = CliRunner()

    def minyi(*args: str, input: str | None = None, env: dict | None = None):
        return runner.invoke(main, list(args), input=input, env={**cli_environment(database), **(env or {})})

    minyi.database = database
    minyi.sent = sent
    return minyi


def _session(database: Path) -> Session:
    return Session(create_engine(f"sqlite:///{database}"))


def _pdf_codes(pdf: Path, folder: Path) -> list[list[str]]:
    subprocess.run(["pdftoppm", "-r", "100", "-png", str(pdf), str(folder / pdf.stem)], check=True)
    return [sorted(decode_qr(page.read_bytes())) for page in sorted(folder.glob(f"{pdf.stem}-*.png"))]


def test_posters_print_with_no_server_and_no_account(newcomer, tmp_path):
    done = newcomer("qr", "posters", "--contact-point", "na-shuguang", "--out", "out")
    assert done.exit_code == 0, done.output
    assert "Sandbox mode" in done.stderr and "2 new QR codes" in done.stdout
    assert newcomer.sent == []  # the fake WeChat answered in this process
    with _session(newcomer.database) as session:
        urls = dict(session.execute(select(Representative.code, Representative.qr_url)
                                    .where(Representative.code.in_(["t-sun", "t-wu"]))).all())
        issues = session.scalars(select(QrCodeIssue.scene).order_by(QrCodeIssue.scene)).all()
    assert issues == ["rep:t-sun", "rep:t-wu"]
    out = tmp_path / "out"
    assert _pdf_codes(out / "point-na-shuguang.pdf", tmp_path) == [sorted(urls.values()), [urls["t-sun"]],
                                                                    [urls["t-wu"]]]
    assert decode_qr((out / "t-sun.png").read_bytes()) == [urls["t-sun"]]
    assert qr_from_url(urls["t-sun"])["scene"] == "rep:t-sun"  # any later fake WeChat knows it


def test_bind_codes_and_reissues_need_no_server_either(newcomer, tmp_path):
    done = newcomer("qr", "bind-code", "d-wang", "--out", "bind.png")
    assert done.exit_code == 0, done.output
    [url] = decode_qr((tmp_path / "bind.png").read_bytes())
    assert f"bind code for d-wang: {url}" in done.stdout
    assert qr_from_url(url)["scene"].startswith("bind:") and not qr_from_url(url)["permanent"]
    staff = newcomer("qr", "bind-code", "--staff", "donghu")
    assert staff.exit_code == 0 and "bind code for donghu" in staff.stdout, staff.output

    for _ in range(2):
        reissued = newcomer("qr", "reissue", "d-wang", "--reason", "海报被覆盖", "--by", "东湖街道人大工委")
        assert reissued.exit_code == 0, reissued.output
    assert newcomer.sent == []
    with _session(newcomer.database) as session:
        assert session.execute(select(QrCodeIssue.scene, QrCodeIssue.retired_at.is_not(None))
                               .order_by(QrCodeIssue.id)).all() == [("rep:d-wang", True), ("rep:d-wang.2", False)]
        assert len(session.scalars(select(BindToken.id)).all()) == 2


def test_a_real_account_still_calls_the_real_wechat(newcomer):
    done = newcomer("qr", "bind-code", "d-wang", env={"MINYI_WECHAT_APPID": "wx0123456789abcdef",
                                                       "MINYI_WECHAT_SECRET": "real-secret"})
    assert done.exit_code == 1 and "Traceback" not in done.output
    assert newcomer.sent == ["https://api.weixin.qq.com/cgi-bin/stable_token"]
    assert done.output.startswith("Error: could not reach WeChat") and "Sandbox" not in done.output


def test_codes_lists_every_kind_with_names_aligned(newcomer):
    done = newcomer("codes")
    assert done.exit_code == 0, done.output
    for heading in ("sub-districts", "contact-points", "representatives", "departments", "staff"):
        assert f"\n{heading} (minyi " in "\n" + done.output
    assert "  donghu    东湖街道  东湖街道人大工委" in done.output
    reps = newcomer("codes", "representatives").output.splitlines()[1:]
    assert len(reps) == 20 and reps[0].split()[:3] == ["c-guo", "郭立新", "市人大代表"]
    # the contact point starts in the same terminal column on every line, Chinese names or not
    starts = {display_width(line[: line.index(line.split()[3])]) for line in reps}
    assert len(starts) == 1
    assert newcomer("codes", "nothing").exit_code == 2


def test_aligned_pads_by_terminal_width():
    assert aligned([("a", "东湖", "x"), ("bbb", "南岸镇", "y")]) == ["  a    东湖    x", "  bbb  南岸镇  y"]
    assert aligned([]) == []
    assert unknown_code_message("departments", "zz", []).startswith("no department 'zz': this database has none")


@pytest.mark.parametrize(("args", "valid"), [
    (["qr", "posters", "--sub-district", "dongjie", "--out", "o"], "donghu    东湖街道"),
    (["qr", "posters", "--contact-point", "cp-1", "--out", "o"], "dh-cuiliu     翠柳社区民情民意联系点"),
    (["qr", "bind-code", "wang01"], "d-wang   王明哲  区人大代表"),
    (["qr", "bind-code", "--staff", "clerk"], "qingshan   青山街道人大工委"),
    (["qr", "reissue", "wang01", "--reason", "丢失"], "t-zhu    朱永和"),
    (["user", "create", "x1", "--role", "subdistrict", "--unit", "dongjie"], "nanan     南岸镇"),
    (["user", "create", "x2", "--role", "department", "--unit", "城管"], "cg    区城市管理执法局"),
])
def test_an_unknown_code_is_answered_with_the_valid_ones(newcomer, args, valid):
    done = newcomer(*args, input="")
    assert done.exit_code == 1 and "Traceback" not in done.output
    assert "the valid ones are:" in done.output and valid in done.output, done.output
    assert "Password" not in done.output  # the unit is checked before the password is asked for


def test_user_create_asks_for_the_password_only_for_a_known_unit(newcomer):
    made = newcomer("user", "create", "dh-clerk2", "--role", "subdistrict", "--unit", "donghu",
                    input="a-long-password\na-long-password\n")
    assert made.exit_code == 0 and "Password" in made.output and "account dh-clerk2 (subdistrict) created" in made.output
    short = newcomer("user", "create", "dh-clerk3", "--role", "subdistrict", "--unit", "donghu", "--password", "short")
    assert short.exit_code == 1 and "at least 10 characters" in short.output


@pytest.mark.parametrize("revision", ["9999", "head+3", "+1", "base", "0003:0004"])
def test_db_upgrade_refuses_a_revision_that_is_not_there_in_one_line(newcomer, revision):
    done = newcomer("db", "upgrade", revision)
    assert done.exit_code == 1 and "Traceback" not in done.output
    assert done.output.strip().splitlines()[-1].startswith(f"Error: no migration {revision!r}; the revisions are 0001")


def test_db_upgrade_says_where_the_database_is(newcomer):
    behind = newcomer("db", "upgrade", "0001")
    assert behind.exit_code == 0 and "past 0001 (upgrade never goes back)" in behind.output
    assert "database is at 0001" not in behind.output
    assert newcomer("db", "upgrade").output.splitlines()[-1].startswith("database is at 0")


def test_a_database_without_tables_is_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(main, ["codes"], env=cli_environment(tmp_path / "empty.sqlite3"))
    assert done.exit_code == 1 and "Traceback" not in done.output
    assert "no such table" in done.output and "minyi db upgrade" in done.output


def test_a_sqlite_database_in_a_missing_folder_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as refused:
        make_engine(f"sqlite:///{tmp_path / 'typo' / 'minyi.sqlite3'}")
    assert refused.value.key == "database_url" and not (tmp_path / "typo").exists()
    done = CliRunner().invoke(main, ["db", "upgrade"], env=cli_environment(tmp_path / "typo" / "minyi.sqlite3"))
    assert done.exit_code == 1 and "'database_url'" in done.output and "does not exist" in done.output
    assert not (tmp_path / "typo").exists()
    make_engine("sqlite:///instance/minyi.sqlite3").dispose()  # the default folder is made on first use
    assert (tmp_path / "instance").is_dir()


def test_make_run_takes_a_port():
    dry = subprocess.run(["make", "-n", "run", "PORT=5050"], cwd=ROOT, capture_output=True, text=True, check=True)
    assert "minyi run --host 127.0.0.1 --port 5050" in dry.stdout
