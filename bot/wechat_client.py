"""The one WeChat API client every worker and the scheduler share.

It is wechatpy's ``WeChatClient`` with three changes:

- every URL starts from ``wechat.api_base_url`` (wechatpy hard-codes the token URL), so the
  sandbox's fake and the real API differ by configuration only;
- the access token comes from ``cgi-bin/stable_token``, which does not invalidate the token other
  workers hold, and lives in Redis (wechatpy's ``RedisStorage``), dropped 5 minutes early;
- a rejected token (40001/40014/42001) is recovered once and the call retried once, where
  wechatpy would retry for as long as WeChat keeps refusing. Recovering first re-reads the token
  all workers share: when another worker has already stored a different one, that one is used as
  it is; else stable_token in normal mode gives WeChat's current token. Only when that is still
  the token just rejected is stable_token asked with force_refresh, which WeChat allows 20 times a
  day (30 s apart): workers forcing in turn would use them up.

A command that runs no server (``minyi qr posters`` in sandbox mode) points the client at
``IN_PROCESS_API``: requests to its origin are handed to the app's own WSGI stack (the sandbox's
fake API) in this process, through ``WsgiAdapter``, and nothing goes over the network. The host
ends in ``.invalid`` (RFC 2606), so a client whose adapter was never mounted cannot reach anyone.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import redis
from requests import PreparedRequest, Response
from requests.adapters import BaseAdapter, HTTPAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session.redisstorage import RedisStorage
from werkzeug.test import Client

from bot.config import Settings

TOKEN_REJECTED = frozenset({40001, 40014, 42001})
TOKEN_EARLY_REFRESH_SECONDS = 300
TIMEOUT_SECONDS = 5

# The sandbox's fake API answered inside this process: no server, no network.
IN_PROCESS_ORIGIN = "http://sandbox.minyi.invalid"
IN_PROCESS_API = IN_PROCESS_ORIGIN + "/sandbox/api/cgi-bin/"


class WsgiAdapter(BaseAdapter):
    """A requests transport that hands each request to a WSGI app in this process and turns its
    answer into a ``requests.Response``: the caller cannot tell it from HTTP."""

    def __init__(self, wsgi_app: Callable):
        super().__init__()
        self.wsgi_app = wsgi_app

    def send(self, request: PreparedRequest, stream=False, timeout=None, verify=True, cert=None,
             proxies=None) -> Response:
        url = urlsplit(request.url)
        body = request.body
        if hasattr(body, "read"):
            body = body.read()
        elif body is not None and not isinstance(body, (bytes, str)):
            body = b"".join(body)  # a generator of chunks
        if isinstance(body, str):
            body = body.encode("utf-8")
        answer = Client(self.wsgi_app).open(
            url.path, base_url=f"{url.scheme}://{url.netloc}", query_string=url.query, method=request.method,
            headers=[(name, value) for name, value in request.headers.items() if name.lower() != "content-length"],
            data=body or b"")
        response = Response()
        response.status_code = answer.status_code
        response.reason = answer.status.partition(" ")[2]
        response.headers = CaseInsensitiveDict(answer.headers.items())
        response.encoding = get_encoding_from_headers(response.headers)
        response.raw = io.BytesIO(answer.get_data())
        answer.close()
        response.url = request.url
        response.request = request
        response.connection = self
        return response

    def close(self) -> None:
        pass


class MinyiWeChatClient(WeChatClient):
    def __init__(self, appid: str, secret: str, api_base_url: str, session: RedisStorage, connections: int = 10):
        super().__init__(appid, secret, session=session, timeout=TIMEOUT_SECONDS, auto_retry=False)
        # One kept-alive connection per sender thread (requests keeps 10 by default).
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=max(connections, 10))
        self._http.mount("http://", adapter)
        self._http.mount("https://", adapter)
        self.API_BASE_URL = api_base_url

    def answer_in_process(self, wsgi_app: Callable) -> None:
        """Send every call for ``IN_PROCESS_ORIGIN`` to ``wsgi_app`` (the sandbox's fake) in this process."""
        self._http.mount(IN_PROCESS_ORIGIN + "/", WsgiAdapter(wsgi_app))

    @property
    def access_token(self) -> str:
        return self.session.get(self.access_token_key) or self.fetch_access_token()["access_token"]

    def fetch_access_token(self, force_refresh: bool = False) -> dict:
        response = self._http.post(
            self.API_BASE_URL + "stable_token",
            json={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret,
                  "force_refresh": force_refresh},
            timeout=self.timeout,
        )
        result = self._handle_result(response)
        if not isinstance(result, dict) or "access_token" not in result:
            raise WeChatClientException(None, "stable_token answered without a token", client=self,
                                        request=response.request, response=response)
        lifetime = int(result.get("expires_in", 7200))
        self.session.set(self.access_token_key, result["access_token"],
                         max(lifetime - TOKEN_EARLY_REFRESH_SECONDS, 60))
        self.expires_at = int(time.time()) + lifetime
        return result

    def _request(self, method, url_or_endpoint, **kwargs):
        if url_or_endpoint.startswith(("http://", "https://")) and not url_or_endpoint.startswith(self.API_BASE_URL):
            # wechatpy hard-codes a few hosts (showqrcode, customservice); we never call them.
            raise ValueError(f"{url_or_endpoint} is outside wechat.api_base_url")
        # One dict shared with wechatpy's _request, which puts the token it sends into it.
        params = kwargs.setdefault("params", {})
        try:
            return super()._request(method, url_or_endpoint, **kwargs)
        except WeChatClientException as error:
            if error.errcode not in TOKEN_REJECTED or not isinstance(params, dict):
                raise
        params["access_token"] = self._token_after_rejection(params.get("access_token"))
        for upload in (kwargs.get("files") or {}).values():
            (upload[1] if isinstance(upload, tuple) else upload).seek(0)
        return super()._request(method, url_or_endpoint, **kwargs)

    def _token_after_rejection(self, rejected: str | None) -> str:
        """The token to retry with, cheapest first: the shared one when another worker has already
        replaced the rejected one; else WeChat's current one (normal mode, e.g. after another
        program forced a refresh); a forced refresh only when WeChat still answers the rejected token."""
        shared = self.session.get(self.access_token_key)
        if shared is not None and shared != rejected:
            return shared
        current = self.fetch_access_token()["access_token"]
        if current != rejected:
            return current
        return self.fetch_access_token(force_refresh=True)["access_token"]


def make_wechat_client(settings: Settings, redis_client: redis.Redis) -> MinyiWeChatClient | None:
    """None when no account is configured: nothing can be sent, and callers say so."""
    if not settings.wechat_configured:
        return None
    return MinyiWeChatClient(
        settings.wechat_appid,
        settings.wechat_secret,
        settings.wechat_api_base_url,
        RedisStorage(redis_client, prefix="minyi:wechatpy"),
        connections=settings.outbox_concurrency,
    )
