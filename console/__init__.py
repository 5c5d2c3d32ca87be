"""The staff console (领单/交办/台账) at /console: the sub-district clerks, department liaisons, the
district office and read-only observers.

Sessions are Flask-Login's on Flask's signed cookie (HttpOnly, SameSite=Lax, Secure when
``console.secure_cookies``); every form is a Flask-WTF form with its CSRF token. Every case a page
shows or acts on is found through the one scope rule (``cases.scope``): a case outside the
user's scope is answered 404, exactly like a case that does not exist.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Flask, render_template
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFError, generate_csrf
from werkzeug.exceptions import HTTPException

import texts
from bot.services import services
from cases.scope import may
from texts import console as words

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates",
               static_folder="static", static_url_path="/static")
SESSION_HOURS = 8     # a working day; then the clerk logs in again


def init_app(app: Flask) -> None:
    from console import auth, case_page, dashboard, directory, duty, intake_form, ledger, queues, reports  # noqa: F401 - their routes register on bp

    settings = services(app).settings
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.console_secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS),
        WTF_CSRF_TIME_LIMIT=SESSION_HOURS * 3600,
    )
    manager = LoginManager()
    manager.login_view = "console.login"
    manager.login_message = words.LOGIN_NEEDED
    manager.session_protection = "basic"
    manager.user_loader(auth.load_user)
    manager.init_app(app)
    app.register_blueprint(bp)


@bp.errorhandler(HTTPException)
def _error_page(error: HTTPException):
    """A refusal inside the console, said in Chinese on a console page (a 404 says the same for a
    case that does not exist and one outside one's scope)."""
    if error.code not in words.ERROR_PAGES:
        return error
    message = words.FORM_EXPIRED if isinstance(error, CSRFError) else words.ERROR_PAGES[error.code]
    return render_template("console/error.html", message=message), error.code


@bp.context_processor
def _console_words() -> dict:
    files = bool(getattr(current_user, "is_authenticated", False) and may(current_user.actor, "file"))
    return {"words": words, "beijing_time": texts.beijing_time, "csrf_token": generate_csrf, "file_link": files}
