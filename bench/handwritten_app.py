"""The hand-written reference for bench/webhook: a minimal durable intake, with no framework around it.

This is the figure the issue quotes for scale ("a minimal hand-written durable intake (Redis SET NX,
two INSERTs, one commit, raw psycopg) reaches about 0.36 x" the bare app): what a developer would
write in an afternoon, to measure minyi against. It is a benchmark reference, not production code,
and is kept that way on purpose:

* plaintext mode only (no AES), text messages only; nothing is validated beyond the signature;
* one Redis client per gunicorn worker and one raw psycopg connection per worker thread (per
  greenlet under gevent; opened on the first message, after the fork), no pool; a connection found
  broken is dropped, so the next message opens a new one;
* deduplication is ``SET handwritten:seen:<MsgId> 1 NX EX 900`` before the write: a repeat is
  answered "success"; if the write fails, the key is dropped so that WeChat's retry is filed;
* per new message: INSERT a case (RETURNING id), INSERT the message, one commit, then a passive
  text reply built with an f-string (no XML escaping: the bench's openids are plain).

Served under the same gunicorn settings as minyi (``gunicorn 'bench.handwritten_app:app'``) on the
tables ``handwritten_cases`` and ``handwritten_messages``, which bench/webhook creates.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
import time
import xml.etree.ElementTree as ET

import psycopg
import redis
from flask import Flask, Response, request

TOKEN = os.environ["MINYI_WECHAT_TOKEN"]
DATABASE_URL = os.environ["MINYI_DATABASE_URL"].replace("+psycopg", "", 1)

app = Flask("handwritten")
# One per process: gunicorn (without --preload) imports the app in each worker, after the fork.
cache = redis.Redis.from_url(os.environ["MINYI_REDIS_URL"])
# One connection per thread of a worker: one per worker under sync workers, one per greenlet under
# the shipped gevent workers (gevent makes threading.local greenlet-local), so concurrent requests
# never share a transaction.
_local = threading.local()


def db() -> psycopg.Connection:
    if getattr(_local, "conn", None) is None:
        _local.conn = psycopg.connect(DATABASE_URL)
    return _local.conn


@app.get("/wechat")
def ready() -> Response:
    return Response("success", mimetype="text/plain")


@app.post("/wechat")
def intake() -> Response:
    args = request.args
    parts = sorted([TOKEN, args.get("timestamp", ""), args.get("nonce", "")])
    expected = hashlib.sha1("".join(parts).encode()).hexdigest()
    if not hmac.compare_digest(expected.encode(), args.get("signature", "").encode()):
        return Response("forbidden", status=403, mimetype="text/plain")

    message = ET.fromstring(request.get_data())
    msg_id = message.findtext("MsgId")
    openid = message.findtext("FromUserName")
    account = message.findtext("ToUserName")
    content = message.findtext("Content") or ""

    key = f"handwritten:seen:{msg_id}"
    if not cache.set(key, 1, nx=True, ex=900):
        return Response("success", mimetype="text/plain")

    conn = db()
    try:
        case_id = conn.execute(
            "INSERT INTO handwritten_cases (openid, summary, created_at) VALUES (%s, %s, now())"
            " RETURNING id",
            (openid, content[:60]),
        ).fetchone()[0]
        conn.execute(
            "INSERT INTO handwritten_messages (case_id, msg_id, content, created_at)"
            " VALUES (%s, %s, %s, now())",
            (case_id, int(msg_id), content),
        )
        conn.commit()
    except Exception:
        if conn.closed:
            _local.conn = None
        else:
            conn.rollback()
        cache.delete(key)
        raise

    reply = (
        f"<xml><ToUserName><![CDATA[{openid}]]></ToUserName>"
        f"<FromUserName><![CDATA[{account}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[已登记，编号{case_id}]]></Content></xml>"
    )
    return Response(reply, mimetype="application/xml")
