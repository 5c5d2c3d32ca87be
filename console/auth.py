"""Logging in and out, and changing one's password.

Failed logins are counted in Redis per account and per address for THROTTLE_MINUTES; past the
limit, login answers 429 without checking the password (so guessing gets no answer either way).
A session carries a fingerprint of the password hash: changing the password ends every other
session of the account.
"""

from __future__ import annotations

import hashlib
import logging
from functools import cache

import redis
from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_login import UserMixin, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from accounts.staff import MIN_PASSWORD_LENGTH
from bot.logs import pseudonym
from bot.services import services
from cases.actors import staff_member
from cases.scope import Actor
from console import bp
from models import StaffUser
from texts import console as words

log = logging.getLogger(__name__)

THROTTLE_MINUTES = 15
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20


@cache
def _no_such_user() -> str:
    """A hash checked when the username does not exist, so that a refusal takes as long either way."""
    return generate_password_hash("no such user")


class ConsoleUser(UserMixin):
    """The logged-in staff member: their account and the actor they are to the scope rule."""

    def __init__(self, actor: Actor, username: str, display_name: str, fingerprint: str):
        self.actor = actor
        self.username = username
        self.display_name = display_name
        self.fingerprint = fingerprint

    def get_id(self) -> str:
        return f"{self.actor.id}:{self.fingerprint}"


def _fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def load_user(user_id: str) -> ConsoleUser | None:
    staff_id, _, fingerprint = user_id.partition(":")
    if not staff_id.isdigit():
        return None
    with services().engine.connect() as conn:
        row = conn.execute(select(StaffUser.username, StaffUser.display_name, StaffUser.password_hash,
                                  StaffUser.active).where(StaffUser.id == int(staff_id))).first()
        if row is None or not row.active or _fingerprint(row.password_hash) != fingerprint:
            return None
        actor = staff_member(conn, int(staff_id))
    return ConsoleUser(actor, row.username, row.display_name, fingerprint) if actor else None


class LoginForm(FlaskForm):
    username = StringField(words.USERNAME, validators=[DataRequired(words.FIELD_REQUIRED), Length(max=64)])
    password = PasswordField(words.PASSWORD, validators=[DataRequired(words.FIELD_REQUIRED), Length(max=256)])


class PasswordForm(FlaskForm):
    old = PasswordField(words.OLD_PASSWORD, validators=[DataRequired(words.FIELD_REQUIRED), Length(max=256)])
    new = PasswordField(words.NEW_PASSWORD, validators=[
        DataRequired(words.FIELD_REQUIRED),
        Length(min=MIN_PASSWORD_LENGTH, max=256, message=words.PASSWORD_TOO_SHORT.format(length=MIN_PASSWORD_LENGTH))])
    again = PasswordField(words.NEW_PASSWORD_AGAIN, validators=[DataRequired(words.FIELD_REQUIRED)])


def _failure_keys(username: str) -> tuple[str, str]:
    account = hashlib.sha256(username.encode()).hexdigest()[:24]   # no usernames in Redis keys
    return f"minyi:login-failures:account:{account}", f"minyi:login-failures:address:{request.remote_addr}"


def _throttled(username: str) -> bool:
    account, address = _failure_keys(username)
    try:
        counts = services().redis.mget(account, address)
    except redis.RedisError:
        return False     # without Redis the password check still stands
    return int(counts[0] or 0) >= MAX_FAILURES_PER_ACCOUNT or int(counts[1] or 0) >= MAX_FAILURES_PER_ADDRESS


def _count_failure(username: str) -> None:
    try:
        with services().redis.pipeline() as pipe:
            for key in _failure_keys(username):
                pipe.incr(key)
                pipe.expire(key, THROTTLE_MINUTES * 60)
            pipe.execute()
    except redis.RedisError as error:
        log.warning("login failure not counted (Redis: %s)", error)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("console.queues"))
    form = LoginForm()
    if request.method == "POST" and not form.validate_on_submit():
        status = 400 if form.csrf_token.errors else 200
        if form.csrf_token.errors:
            flash(words.FORM_EXPIRED, "error")
        return render_template("console/login.html", form=form), status
    if request.method == "POST":
        username = form.username.data.strip().lower()
        if _throttled(username):
            log.warning("console login throttled for account %s", pseudonym(username))
            return render_template("console/login.html", form=form,
                                   error=words.LOGIN_THROTTLED.format(minutes=THROTTLE_MINUTES)), 429
        with services().engine.connect() as conn:
            row = conn.execute(select(StaffUser.id, StaffUser.password_hash, StaffUser.active)
                               .where(StaffUser.username == username)).first()
        matches = check_password_hash(row.password_hash if row else _no_such_user(), form.password.data)
        if row is None or not row.active or not matches:
            _count_failure(username)
            log.info("console login refused for account %s", pseudonym(username))
            return render_template("console/login.html", form=form, error=words.LOGIN_FAILED), 401
        user = load_user(f"{row.id}:{_fingerprint(row.password_hash)}")
        if user is None:
            abort(401)
        session.clear()   # no session fixation: a fresh session for the logged-in user
        session.permanent = True
        login_user(user)
        log.info("console login: staff %s", row.id)
        return redirect(url_for("console.queues"))
    return render_template("console/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    if not FlaskForm().validate_on_submit():
        abort(400)
    logout_user()
    session.clear()
    flash(words.LOGGED_OUT, "info")
    return redirect(url_for("console.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        with services().engine.begin() as conn:
            stored = conn.scalar(select(StaffUser.password_hash).where(StaffUser.id == current_user.actor.id))
            if not check_password_hash(stored, form.old.data):
                form.old.errors.append(words.PASSWORD_WRONG)
            elif form.new.data != form.again.data:
                form.again.errors.append(words.PASSWORD_MISMATCH)
            else:
                new_hash = generate_password_hash(form.new.data)
                conn.execute(update(StaffUser).where(StaffUser.id == current_user.actor.id)
                             .values(password_hash=new_hash))
                login_user(ConsoleUser(current_user.actor, current_user.username, current_user.display_name,
                                       _fingerprint(new_hash)))
                flash(words.PASSWORD_CHANGED, "info")
                return redirect(url_for("console.queues"))
    return render_template("console/password.html", form=form), 400 if form.errors else 200
