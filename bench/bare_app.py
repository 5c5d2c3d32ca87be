"""The baseline for bench/webhook: a bare Flask app that answers every delivery with "success".

Served under the same gunicorn settings as minyi (``gunicorn 'bench.bare_app:app'``), it measures
what the machine, gunicorn, Flask and wrk cost on their own, before minyi does any work.
"""

from __future__ import annotations

from flask import Flask, Response

app = Flask("bare")


@app.route("/wechat", methods=["GET", "POST"])
def wechat() -> Response:
    return Response("success", mimetype="text/plain")
