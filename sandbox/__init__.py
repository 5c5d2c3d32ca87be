"""Sandbox mode (``wechat.sandbox``): minyi without a WeChat account.

The app serves its own fake of the WeChat API (``sandbox.api``) and a phone simulator
(``sandbox.simulator``) that talks to ``/wechat`` exactly as WeChat's servers do. Outside sandbox
mode none of these routes exist.

A served app (``minyi run``) calls its fake over HTTP at its own address. A command that runs no
server (``minyi qr posters``…) gets ``wechat.api_base_url`` = ``bot.wechat_client.IN_PROCESS_API``,
and its WeChat client is connected here to this very app: each call runs through the fake's
blueprint in this process.
"""

from __future__ import annotations

from flask import Flask, redirect, url_for


def init_app(app: Flask) -> None:
    from bot.services import services
    from bot.wechat_client import IN_PROCESS_ORIGIN

    svc = services(app)
    if not svc.settings.wechat_sandbox:
        return
    from sandbox import api, simulator

    app.register_blueprint(api.bp)
    app.register_blueprint(simulator.bp)
    app.add_url_rule("/", "sandbox_home", lambda: redirect(url_for("sandbox.page")))
    if svc.wechat is not None and svc.settings.wechat_api_base_url.startswith(IN_PROCESS_ORIGIN + "/"):
        svc.wechat.answer_in_process(app)
