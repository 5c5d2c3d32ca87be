"""Sandbox mode (``wechat.sandbox``): minyi without a WeChat account.

The app serves its own fake of the WeChat API (``sandbox.api``) and a phone simulator
(``sandbox.simulator``) that talks to ``/wechat`` exactly as WeChat's servers do. Outside sandbox
mode none of these routes exist.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from bot.services import services

    if not services(app).settings.wechat_sandbox:
        return
    from sandbox import api, simulator

    app.register_blueprint(api.bp)
    app.register_blueprint(simulator.bp)
