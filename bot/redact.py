"""Keep secrets out of what we log and store: WeChat puts the access token in every API URL,
requests' errors quote the URL, and a callback's query carries its signatures, the encrypted echo
and the user's openid. (Openids elsewhere in a text: ``bot.logs.scrub``.)"""

from __future__ import annotations

import re

_SECRET_QUERY = re.compile(
    r"((?:access_token|secret|signature|msg_signature|echostr|openid)=)[^&\s'\"]+", re.IGNORECASE)


def redact(text: str) -> str:
    """``text`` with the values of access_token, secret, signature, msg_signature, echostr and
    openid parameters masked."""
    return _SECRET_QUERY.sub(r"\1***", text)
