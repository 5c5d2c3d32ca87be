"""WeChat's servers *calling us*: builds signed, optionally encrypted deliveries exactly as
WeChat does, posts them to ``/wechat`` and reads the replies back. The sandbox's phones and the
tests both deliver through it."""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
import xmltodict
from wechatpy.crypto import WeChatCrypto

from bot.signing import signature

ACCOUNT = "gh_minyi_sandbox"  # the account's original id (原始ID), WeChat's ToUserName

_msg_ids = itertools.count(7_000_000_000_000_000_001)
# WeChat's nonces differ from one delivery to the next (a signed query is good for one body),
# also between processes that deliver to one app.
_nonces = itertools.count(secrets.randbelow(10**9))


def next_msg_id() -> int:
    return next(_msg_ids)


def cdata(value: object) -> str:
    return "<![CDATA[" + str(value).replace("]]>", "]]]]><![CDATA[>") + "]]>"


def number(value: int | float) -> str:
    """A number as WeChat writes it: an integer's digits; a coordinate with six decimals, never
    an exponent (``1e-05``), which minyi refuses."""
    return f"{value:.6f}" if isinstance(value, float) else str(value)


def message_xml(openid: str, msg_type: str, create_time: int, fields: dict[str, object]) -> str:
    body = "".join(
        f"<{name}>{number(value)}</{name}>" if isinstance(value, (int, float)) else f"<{name}>{cdata(value)}</{name}>"
        for name, value in fields.items()
    )
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName>{cdata(openid)}"
        f"</FromUserName><CreateTime>{create_time}</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>"
        f"{body}</xml>"
    )


def sender_of(xml: str) -> str | None:
    """The FromUserName of a delivery's XML, or None when the XML has none (the tests post junk
    too)."""
    try:
        sender = xmltodict.parse(xml, disable_entities=True)["xml"]["FromUserName"]
    except Exception:  # noqa: BLE001 - junk XML is a legitimate thing to deliver in the tests
        return None
    return sender if isinstance(sender, str) else None


@dataclass
class Delivery:
    status: int
    body: str
    mode: str

    @property
    def text(self) -> str | None:
        """The passive reply's text, or None for "success"."""
        if self.body in ("success", ""):
            return None
        xml = xmltodict.parse(self.body)["xml"]
        return xml["Content"]


@dataclass
class HttpResponse:
    status_code: int
    text: str

    def get_data(self, as_text: bool = False) -> str | bytes:
        return self.text if as_text else self.text.encode()


class HttpTransport:
    """Posts over the network, as WeChat's servers really do, with the one method of a werkzeug
    test client that ``WeChatServer`` uses. Connection errors and timeouts raise requests'
    exceptions: the caller decides whether the delivery is retried."""

    def __init__(self, origin: str, timeout: float = 5):
        self.origin = origin.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()

    @classmethod
    def for_api_base_url(cls, api_base_url: str, timeout: float = 5) -> HttpTransport:
        """The app that uses ``api_base_url``: in sandbox mode the fake API is the app itself, so
        its origin (scheme, host, port) is where the app's own /wechat listens."""
        parts = urlsplit(api_base_url)
        return cls(f"{parts.scheme}://{parts.netloc}", timeout)

    def post(self, path: str, query_string: dict[str, str], data: bytes, content_type: str) -> HttpResponse:
        response = self.session.post(self.origin + path, params=query_string, data=data,
                                     headers={"Content-Type": content_type}, timeout=self.timeout)
        return HttpResponse(response.status_code, response.text)

    def close(self) -> None:
        self.session.close()


class WeChatServer:
    """Posts deliveries to /wechat the way WeChat's servers do. ``client`` is a werkzeug test
    client of the app (the delivery runs through the whole WSGI stack, signature check included)
    or an ``HttpTransport``."""

    def __init__(self, client, clock, token: str, appid: str, aes_key: str):
        self.client = client
        self.clock = clock
        self.token = token
        self.appid = appid
        self.crypto = WeChatCrypto(token, aes_key, appid) if aes_key else None

    @classmethod
    def for_app(cls, app, client=None) -> WeChatServer:
        """WeChat's side of the account ``app`` is configured for."""
        from bot.services import services

        svc = services(app)
        settings = svc.settings
        return cls(client or app.test_client(), svc.clock, settings.wechat_token, settings.wechat_appid,
                   settings.wechat_aes_key)

    def query(self, openid: str | None, timestamp: str | None = None, nonce: str | None = None) -> dict[str, str]:
        """The signed query WeChat puts on a delivery: its ``openid`` is the message's sender."""
        timestamp = timestamp or str(int(self.clock.time()))
        nonce = nonce or str(next(_nonces))
        query = {"timestamp": timestamp, "nonce": nonce, "signature": signature(self.token, timestamp, nonce)}
        if openid is not None:
            query["openid"] = openid
        return query

    def post(self, xml: str, mode: str = "plain") -> Delivery:
        query = self.query(sender_of(xml))
        body = xml
        if mode in ("safe", "compatible"):
            sealed = xmltodict.parse(self.crypto.encrypt_message(xml, query["nonce"], query["timestamp"]))["xml"]
            query.update(encrypt_type="aes", msg_signature=sealed["MsgSignature"])
            if mode == "safe":
                body = f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><Encrypt><![CDATA[{sealed['Encrypt']}]]></Encrypt></xml>"
            else:
                body = xml.replace("</xml>", f"<Encrypt><![CDATA[{sealed['Encrypt']}]]></Encrypt></xml>")
        response = self.client.post("/wechat", query_string=query, data=body.encode(),
                                    content_type="text/xml")
        text = response.get_data(as_text=True)
        if mode != "plain" and response.status_code == 200 and text not in ("success", ""):
            envelope = xmltodict.parse(text)["xml"]
            text = self.crypto.decrypt_message(text, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"])
        return Delivery(response.status_code, text, mode)

    # -- the kinds of delivery the tests send most ------------------------------------------
    def send(self, openid: str, msg_type: str, fields: dict[str, object], mode: str = "plain",
             msg_id: int | None = None) -> Delivery:
        fields = {**fields, "MsgId": msg_id or next_msg_id()}
        return self.post(message_xml(openid, msg_type, int(self.clock.time()), fields), mode)

    def text(self, openid: str, content: str, mode: str = "plain", msg_id: int | None = None) -> Delivery:
        return self.send(openid, "text", {"Content": content}, mode, msg_id)

    def image(self, openid: str, media_id: str = "media-1", mode: str = "plain") -> Delivery:
        return self.send(openid, "image", {"PicUrl": "http://mmbiz.example/pic.jpg", "MediaId": media_id}, mode)

    def location(self, openid: str, lat: float, lng: float, label: str = "", mode: str = "plain") -> Delivery:
        return self.send(openid, "location", {"Location_X": lat, "Location_Y": lng, "Scale": 15, "Label": label}, mode)

    def event(self, openid: str, event: str, key: str | None = None, mode: str = "plain",
              extra: dict[str, object] | None = None) -> Delivery:
        fields: dict[str, object] = {"Event": event}
        if key is not None:
            fields["EventKey"] = key
        fields.update(extra or {})
        return self.post(message_xml(openid, "event", int(self.clock.time()), fields), mode)

    def scan(self, openid: str, scene: str, ticket: str = "TICKET", new_follower: bool = True,
             mode: str = "plain") -> Delivery:
        """A scan of a parametric QR code: ``subscribe`` for a new follower, ``SCAN`` otherwise."""
        if new_follower:
            return self.event(openid, "subscribe", f"qrscene_{scene}", mode, extra={"Ticket": ticket})
        return self.event(openid, "SCAN", scene, mode, extra={"Ticket": ticket})

    def scan_poster(self, openid: str, code: str, new_follower: bool = True) -> Delivery:
        return self.scan(openid, f"rep:{code}", new_follower=new_follower)
