"""The WeChat client as several workers run it: one token shared through Redis, recovered from a
rejection without spending WeChat's 20 forced refreshes a day when another worker already has."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from wechatpy.exceptions import WeChatClientException

from bot.services import services
from bot.wechat_client import MinyiWeChatClient, make_wechat_client


@pytest.fixture
def app(sandbox_app):
    return sandbox_app


@pytest.fixture
def workers(app, world, clock) -> tuple[MinyiWeChatClient, MinyiWeChatClient]:
    """Two workers' clients (each its own HTTP session, as in two gunicorn processes), one Redis;
    both have sent once, so both hold the shared token."""
    svc = services(app)
    a, b = (make_wechat_client(svc.settings, svc.redis) for _ in range(2))
    world.user_wrote("o-rep", clock.time())
    a.message.send_text("o-rep", "A 的第一条")
    b.message.send_text("o-rep", "B 的第一条")
    return a, b


def _stable_calls(world) -> list[bool]:
    """force_refresh of each stable_token call the fake received."""
    return [call["body"]["force_refresh"] for call in world.calls("stable_token")]


def _meanwhile(monkeypatch, client: MinyiWeChatClient, action: Callable[[], object]) -> None:
    """Run ``action`` (another worker's work) while ``client``'s next customer-service message is
    on the wire: after WeChat has answered it, before the client reads the answer."""
    original = client._http.request
    pending = [action]

    def request(method, url, **kwargs):
        response = original(method, url, **kwargs)
        if pending and "message/custom/send" in url:
            pending.pop()()
        return response

    monkeypatch.setattr(client._http, "request", request)


def test_workers_share_one_token(workers, world):
    assert _stable_calls(world) == [False]
    a, b = workers
    assert a.access_token == b.access_token


def test_a_worker_rejected_after_another_refreshed_retries_with_the_shared_token(monkeypatch, app, workers, world):
    a, b = workers
    held = a.access_token
    # WeChat refuses the token both hold, and still gives it in normal mode: only forcing helps.
    world.fail_next("message/custom/send", 40001, times=2)
    _meanwhile(monkeypatch, a, lambda: b.message.send_text("o-rep", "B 的第二条"))
    a.message.send_text("o-rep", "A 的第二条")

    assert _stable_calls(world) == [False, False, True]  # B forced once; A did not
    assert [call["errcode"] for call in world.calls("message/custom/send")][2:] == [40001, 40001, 0, 0]
    shared = a.access_token
    assert shared != held and b.access_token == shared
    assert world.token_error(held, services(app).clock.time()) == 40001  # the forced refresh killed it
    assert [entry["text"] for entry in world.chat("o-rep")][2:] == ["B 的第二条", "A 的第二条"]


def test_an_expired_token_is_renewed_in_normal_mode_without_forcing(monkeypatch, workers, world):
    a, b = workers
    world.expire_tokens()
    _meanwhile(monkeypatch, a, lambda: b.message.send_text("o-rep", "B 的第二条"))
    a.message.send_text("o-rep", "A 的第二条")
    b.message.send_text("o-rep", "B 的第三条")
    assert _stable_calls(world) == [False, False]
    assert [call["errcode"] for call in world.calls("message/custom/send")][2:] == [42001, 42001, 0, 0, 0]


def test_a_shared_token_that_lapsed_meanwhile_is_fetched_again_not_forced(monkeypatch, app, workers, world):
    a, _ = workers
    world.revoke_tokens()  # another program forced a refresh ...
    redis = services(app).redis
    # ... and the shared copy lapses from Redis while A's call is refused.
    _meanwhile(monkeypatch, a, lambda: redis.delete(f"minyi:wechatpy:{a.appid}_access_token"))
    a.message.send_text("o-rep", "A 的第二条")
    assert _stable_calls(world) == [False, False]
    assert [call["errcode"] for call in world.calls("message/custom/send")][2:] == [40001, 0]


def test_many_workers_refused_at_once_force_once(monkeypatch, workers, world, app, clock):
    svc = services(app)
    crowd = [*workers, *(make_wechat_client(svc.settings, svc.redis) for _ in range(3))]
    world.user_wrote("o-rep", clock.time())
    world.fail_next("message/custom/send", 40001, times=len(crowd))
    # Each worker's refused call is on the wire while the next one sends: all five are refused.
    for number, (worker, following) in enumerate(zip(crowd, crowd[1:], strict=False)):
        _meanwhile(monkeypatch, worker, lambda w=following, n=number: w.message.send_text("o-rep", f"第{n + 1}条"))
    crowd[0].message.send_text("o-rep", "第0条")
    assert _stable_calls(world) == [False, False, True]
    assert [call["errcode"] for call in world.calls("message/custom/send")][2:] == [40001] * 5 + [0] * 5
    assert sorted(entry["text"] for entry in world.chat("o-rep")[2:]) == [f"第{n}条" for n in range(5)]


def test_a_worker_refused_for_good_gives_up_after_one_forced_refresh(workers, world):
    a, _ = workers
    world.fail_next("message/custom/send", 40001, times=3)
    with pytest.raises(WeChatClientException) as refused:
        a.message.send_text("o-rep", "A 的第二条")
    assert refused.value.errcode == 40001
    assert _stable_calls(world) == [False, False, True]
    assert len(world.calls("message/custom/send")) == 4  # two first messages, one try, one retry
