"""WeChat callback signatures and safe-mode (AES) envelopes, on wechatpy's signer and cipher.

wechatpy compares signatures with ``!=``; we compute them with its signer and compare in
constant time, then hand the ciphertext to its PrpCrypto.
"""

from __future__ import annotations

import hmac

import xmltodict
from wechatpy.crypto import PrpCrypto, WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException
from wechatpy.utils import WeChatSigner


class EnvelopeError(Exception):
    """The body could not be opened: ``status`` says whether it was refused (403) or garbled (400)."""

    def __init__(self, status: int, reason: str):
        self.status = status
        super().__init__(reason)


def signature(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def signature_matches(given: str | None, *parts: str) -> bool:
    if not given:
        return False
    return hmac.compare_digest(signature(*parts).encode(), given.encode("utf-8", "replace"))


class SafeMode:
    """EncodingAESKey crypto for one account: open an encrypted body, seal a reply.

    While an account changes its key, WeChat may still seal deliveries with the old one:
    ``previous_aes_key`` opens what the current key cannot. Replies are sealed with the current
    key always."""

    def __init__(self, token: str, aes_key: str, appid: str, previous_aes_key: str = ""):
        self.token = token
        self.appid = appid
        self._crypto = WeChatCrypto(token, aes_key, appid)
        keys = [self._crypto.key]
        if previous_aes_key:
            keys.append(WeChatCrypto(token, previous_aes_key, appid).key)
        self._keys = tuple(keys)

    def open(self, body: bytes, msg_signature: str | None, timestamp: str, nonce: str) -> str:
        """Verify msg_signature over the ciphertext and return the plaintext XML."""
        try:
            outer = xmltodict.parse(body)["xml"]
            encrypted = outer["Encrypt"]
        except Exception as error:  # expat errors, missing nodes, entity declarations
            raise EnvelopeError(400, f"unreadable envelope: {type(error).__name__}") from None
        if not isinstance(encrypted, str):
            raise EnvelopeError(400, "Encrypt is not text")
        return self.decrypt(encrypted, msg_signature, timestamp, nonce)

    def decrypt(self, encrypted: str, msg_signature: str | None, timestamp: str, nonce: str) -> str:
        if not signature_matches(msg_signature, self.token, timestamp, nonce, encrypted):
            raise EnvelopeError(403, "msg_signature does not match")
        # The signature proves WeChat sent it; a key that does not fit yields garbage, which
        # fails as unreadable (or as a wrong AppID): try the next key. Another account's message
        # is refused (403) if any key reads it as such.
        refusal = None
        for key in self._keys:
            try:
                return PrpCrypto(key).decrypt(encrypted, self.appid)
            except InvalidAppIdException:
                refusal = EnvelopeError(403, "ciphertext is for another AppID")
            except Exception as error:  # bad base64, padding, length
                if refusal is None:
                    refusal = EnvelopeError(400, f"cannot decrypt: {type(error).__name__}")
        raise refusal

    def seal(self, reply_xml: str, nonce: str, timestamp: str) -> str:
        return self._crypto.encrypt_message(reply_xml, nonce, timestamp)
