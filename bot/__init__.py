"""The minyi web app. ``create_app()`` is the WSGI entry: ``gunicorn 'bot:create_app()'``."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

log = logging.getLogger("minyi")


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. ``config`` holds settings keys (``"database_url"``, ``"wechat.token"``…)
    that override file and environment; tests use it. Nothing here migrates, sleeps or connects."""
    import sandbox
    from bot import webhook
    from bot.clock import SystemClock
    from bot.config import load_settings
    from bot.db import make_engine
    from bot.delivery import Deliveries
    from bot.kv import make_redis
    from bot.services import EXTENSION, Services
    from bot.signing import SafeMode
    from bot.wechat_client import make_wechat_client

    settings = load_settings(config)
    app = Flask("minyi", instance_relative_config=False)
    # One byte of slack so the webhook can tell "exactly the limit" from "more" in chunked bodies.
    app.config["MAX_CONTENT_LENGTH"] = settings.webhook_max_body_bytes + 1
    app.config["SECRET_KEY"] = settings.secret_key or secrets.token_hex(32)
    if not settings.secret_key:
        log.warning("secret_key is not set: a random key is used and sessions end on restart")

    engine = make_engine(settings.database_url)
    # Deliveries run at REPEATABLE READ on PostgreSQL and retry on conflict (bot.delivery).
    delivery_engine = (
        make_engine(settings.database_url, repeatable_read=True)
        if engine.dialect.name == "postgresql"
        else engine
    )
    redis_client, redis_shared = make_redis(settings.redis_url)
    if not redis_shared:
        log.warning("redis_url is not set: using an in-process Redis stand-in (one process only)")
    safe_mode = (
        SafeMode(settings.wechat_token, settings.wechat_aes_key, settings.wechat_appid)
        if settings.wechat_aes_key
        else None
    )
    if settings.wechat_sandbox:
        log.warning("Sandbox mode: WeChat is the app's own fake (%s); the phone simulator is at /sandbox",
                    settings.wechat_api_base_url)
    elif not settings.wechat_configured:
        log.warning("No WeChat account configured (wechat.appid / wechat.secret): nothing will be sent to WeChat")
    if not settings.wechat_token:
        log.warning("wechat.token is not set: /wechat refuses deliveries (503) until it is")

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
    app.register_blueprint(webhook.bp)
    sandbox.init_app(app)
    app.register_error_handler(HTTPException, _plain_http_error)
    app.register_error_handler(Exception, _plain_server_error)

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    return app


def _plain_http_error(error: HTTPException) -> Response:
    return Response(f"{error.code} {error.name}", status=error.code, mimetype="text/plain")


def _plain_server_error(error: Exception) -> Response:
    log.exception("unhandled error", exc_info=error)
    return Response("500 Internal Server Error", status=500, mimetype="text/plain")
