"""Console accounts: the rules, and ``minyi user create``."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from werkzeug.security import check_password_hash

from accounts.staff import (
    AccountError,
    check_account_place,
    check_new_account,
    check_password,
    create_staff_user,
)
from bot.cli import main
from models import StaffUser
from tests.conftest import START


@pytest.mark.parametrize("username, role, unit, problem", [
    ("Zhang", "subdistrict", "dongjie", "username"),
    ("张三", "subdistrict", "dongjie", "username"),
    ("zhang", "mayor", "dongjie", "role"),
    ("zhang", "district", "dongjie", "whole district"),
    ("zhang", "subdistrict", None, "unit"),
    ("zhang", "department", "", "unit"),
])
def test_the_rules_say_what_is_wrong(username, role, unit, problem):
    with pytest.raises(AccountError, match=problem):
        check_new_account(username, role, unit)


def test_a_password_is_long_enough():
    with pytest.raises(AccountError, match="password: at least 10"):
        check_password("short")
    check_password("long-enough-1")


def test_accounts_belong_to_their_unit(db, district):
    clerk = create_staff_user(db, username="dj-clerk", display_name="东街工委", role="subdistrict",
                              unit_code="dongjie", password="a-long-password", now=START)
    db.commit()
    assert clerk.sub_district_id == district["sub_districts"]["east"].id and clerk.department_id is None
    assert check_password_hash(clerk.password_hash, "a-long-password")
    with pytest.raises(AccountError, match="taken"):
        create_staff_user(db, username="dj-clerk", display_name="", role="district", unit_code=None,
                          password="a-long-password", now=START)
    with pytest.raises(AccountError, match="no sub-district 'nowhere'; the valid ones are:\n  dongjie  东街街道"):
        create_staff_user(db, username="other", display_name="", role="subdistrict", unit_code="nowhere",
                          password="a-long-password", now=START)
    with pytest.raises(AccountError, match="no department 'cg': this database has none"):
        check_account_place(db, "other", "department", "cg")
    assert check_account_place(db, "other", "subdistrict", "xijie").sub_district_id == district["sub_districts"]["west"].id


def test_minyi_user_create(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    env = {"MINYI_DATABASE_URL": f"sqlite:///{tmp_path / 'accounts.sqlite3'}"}
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"], env=env).exit_code == 0
    made = runner.invoke(main, ["user", "create", "office", "--role", "district", "--name", "区人大人代工委"],
                         input="a-long-password\na-long-password\n", env=env)
    assert made.exit_code == 0 and "account office (district) created" in made.output
    refused = runner.invoke(main, ["user", "create", "x1", "--role", "subdistrict", "--unit", "none"], input="", env=env)
    assert refused.exit_code != 0 and "no sub-district 'none'" in refused.output
    assert "Password" not in refused.output  # the unit is checked before the password is asked for
    from sqlalchemy import create_engine

    engine = create_engine(env["MINYI_DATABASE_URL"])
    with engine.connect() as conn:
        assert conn.scalars(select(StaffUser.username)).all() == ["office"]
    engine.dispose()
