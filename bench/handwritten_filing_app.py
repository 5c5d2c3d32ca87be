"""A second reference for bench/webhook: the hand-written intake, writing what minyi writes.

``bench/handwritten_app.py`` stores a message as two INSERTs into two tables of its own. A
delivery that minyi answers with a case number has, by then, filed a whole case: the resident
upserted, the case joined or opened, its first event, the message (with its search bigrams) and
the delivery's record with its reply, all in one transaction. This app is the hand-written intake
with that write instead of its two INSERTs: minyi's own filing statement
(``cases.intake._ONE_STATEMENT``, which also refuses to file for a representative's or a clerk's
WeChat) on a raw psycopg connection in autocommit, prepared after its second use as minyi's are.
Everything else is the hand-written intake's: the signature check, ``ET.fromstring``, Redis
``SET NX``, the f-string reply.

Its req/s as a share of the hand-written intake's is the ceiling for any intake that files the
case before it answers, on the machine of the run: what the database work of a real filing costs,
with no framework around it. A reference, not production code; plaintext text messages only.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
import time
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import psycopg
import redis
from flask import Flask, Response, request
from sqlalchemy.dialects import postgresql

from cases.intake import _ONE_STATEMENT, NUMBER_SLOT
from cases.numbering import case_number

TOKEN = os.environ["MINYI_WECHAT_TOKEN"]
DATABASE_URL = os.environ["MINYI_DATABASE_URL"].replace("+psycopg", "", 1)
FILING = _ONE_STATEMENT.compile(dialect=postgresql.dialect()).string
JOIN_WINDOW = timedelta(minutes=10)
REPLY = f"已登记，编号{NUMBER_SLOT}"

app = Flask("handwritten_filing")
cache = redis.Redis.from_url(os.environ["MINYI_REDIS_URL"])
_local = threading.local()  # one connection per worker thread or greenlet, as bench/handwritten_app.py


def db() -> psycopg.Connection:
    if getattr(_local, "conn", None) is None:
        _local.conn = psycopg.connect(DATABASE_URL, autocommit=True, prepare_threshold=2)
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

    now = datetime.utcnow()
    params = {
        "p_key": f"msg:{msg_id}", "p_openid": openid, "p_msg_type": "text", "p_now": now,
        "p_cutoff": now - JOIN_WINDOW, "p_summary": content[:200], "p_reply_opened": REPLY,
        "p_reply_unrouted": REPLY, "p_reply_joined": REPLY, "p_kind": "text", "p_msg_id": msg_id,
        "p_content": content, "p_media_id": None, "p_pic_url": None, "p_media_format": None,
        "p_thumb_media_id": None, "p_latitude": None, "p_longitude": None, "p_location_scale": None,
        "p_location_label": None, "p_url": None, "p_description": None, "p_attach": False,
        "p_unless_worker": True,
    }
    conn = db()
    try:
        case_id, created_at, _opened, reply = conn.execute(FILING, params).fetchone()
    except Exception:
        if conn.closed:
            _local.conn = None
        cache.delete(key)
        raise

    text = reply.replace(NUMBER_SLOT, case_number(case_id, created_at))
    answer = (
        f"<xml><ToUserName><![CDATA[{openid}]]></ToUserName>"
        f"<FromUserName><![CDATA[{account}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{text}]]></Content></xml>"
    )
    return Response(answer, mimetype="application/xml")
