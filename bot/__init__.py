"""The minyi web app. ``create_app()`` is the WSGI entry: ``gunicorn 'bot:create_app()'``."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.exceptions import HTTPException

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger("minyi")


def create_app(config: Mapping[str, Any] | None = None, *, serving: bool = True) -> Flask:
    """Build the app. ``config`` holds settings keys (``"database_url"``, ``"wechat.token"``…)
    that override file and environment; tests use it. Nothing here migrates, sleeps or connects.
    ``serving``: the app is about to serve or run the scheduler (gunicorn, ``minyi run``,
    ``minyi scheduler``): logging is set up if nothing has set it up, and what an operator must
    know at start is logged. Commands that only use the app's services pass False."""
    import console
    import public
    import sandbox
    from bot import health, logs, rating_page, webhook
    from bot.clock import SystemClock
    from bot.config import load_settings
    from bot.db import make_engine
    from bot.delivery import Deliveries
    from bot.kv import make_redis
    from bot.services import EXTENSION, Services
    from bot.signing import SafeMode
    from bot.wechat_client import make_wechat_client

    if serving and not logging.getLogger().handlers:
        logs.configure_logging()
    settings = load_settings(config)
    app = Flask("minyi", instance_relative_config=False)
    # One byte of slack so the webhook can tell "exactly the limit" from "more" in chunked bodies.
    app.config["MAX_CONTENT_LENGTH"] = settings.webhook_max_body_bytes + 1
    app.config["SECRET_KEY"] = settings.secret_key or secrets.token_hex(32)
    app.session_interface = SessionsOffTheWebhook()
    logs.use_secret_key(app.config["SECRET_KEY"])

    engine = make_engine(settings.database_url)
    # Deliveries run at REPEATABLE READ on PostgreSQL and retry on conflict (bot.delivery).
    delivery_engine = (
        make_engine(settings.database_url, repeatable_read=True)
        if engine.dialect.name == "postgresql"
        else engine
    )
    redis_client, redis_shared = make_redis(settings.redis_url)
    safe_mode = (
        SafeMode(settings.wechat_token, settings.wechat_aes_key, settings.wechat_appid,
                 settings.wechat_previous_aes_key)
        if settings.wechat_aes_key
        else None
    )
    if serving:
        for warning in startup_warnings(settings, redis_shared):
            log.warning("%s", warning)

    clock = SystemClock()
    app.extensions[EXTENSION] = Services(
        settings=settings,
        clock=clock,
        engine=engine,
        redis=redis_client,
        redis_shared=redis_shared,
        safe_mode=safe_mode,
        deliveries=Deliveries(settings, delivery_engine, redis_client, clock),
        wechat=make_wechat_client(settings, redis_client),
    )
    logs.init_app(app)
    app.register_blueprint(webhook.bp)
    app.register_blueprint(rating_page.bp)   # /rate: residents rate an answer (验单)
    health.init_app(app)
    sandbox.init_app(app)
    console.init_app(app)
    public.init_app(app)
    app.register_error_handler(HTTPException, _plain_http_error)
    app.register_error_handler(Exception, _plain_server_error)

    return app


class SessionsOffTheWebhook(SecureCookieSessionInterface):
    """WeChat's servers keep no cookies: ``/wechat`` gets no session, which saves building the
    cookie signer on every delivery. Every other page has Flask's signed-cookie session."""

    def open_session(self, app, request):
        if request.path == "/wechat":
            return self.null_session_class()
        return super().open_session(app, request)


def startup_warnings(settings: Settings, redis_shared: bool) -> list[str]:
    """What an operator must know when the app starts serving."""
    warnings = []
    if not settings.secret_key:
        warnings.append("secret_key is not set: a random key is used, sessions end on restart and log "
                        "pseudonyms differ between processes")
    if not redis_shared:
        warnings.append("redis_url is not set: using an in-process Redis stand-in (one process only)")
    if settings.wechat_sandbox:
        warnings.append(f"Sandbox mode: WeChat is the app's own fake ({settings.wechat_api_base_url}); "
                        "the phone simulator is at /sandbox")
    elif not settings.wechat_configured:
        warnings.append("No WeChat account configured (wechat.appid / wechat.secret): nothing will be sent to WeChat")
    if not settings.wechat_token:
        warnings.append("wechat.token is not set: /wechat refuses deliveries (503) until it is")
    return warnings


def _plain_http_error(error: HTTPException) -> Response:
    return Response(f"{error.code} {error.name}", status=error.code, mimetype="text/plain")


def _plain_server_error(error: Exception) -> Response:
    log.error("unhandled error on %s %s", request.method, request.path, exc_info=error)
    return Response("500 Internal Server Error", status=500, mimetype="text/plain")
