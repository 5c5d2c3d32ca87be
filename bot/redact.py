"""Keep secrets out of what we log and store: WeChat puts the access token in every API URL, and
requests' errors quote the URL."""

from __future__ import annotations

import re

_SECRET_QUERY = re.compile(r"((?:access_token|secret|signature|msg_signature)=)[^&\s'\"]+", re.IGNORECASE)


def redact(text: str) -> str:
    """``text`` with the values of access_token, secret and signature parameters masked."""
    return _SECRET_QUERY.sub(r"\1***", text)
