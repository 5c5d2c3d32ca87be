"""gunicorn's configuration for minyi in production: ``gunicorn --config deploy/gunicorn.conf.py``.

It serves ``bot:create_app()`` with settings from the environment (``/etc/minyi/minyi.env`` under
systemd: ``MINYI_*`` keys, ``MINYI_CONFIG``). Three of gunicorn's own settings may be set there too:

    MINYI_BIND           where to listen (default 127.0.0.1:8000: nginx on the same machine)
    MINYI_WORKERS        worker processes (default: one per CPU this process may run on)
    FORWARDED_ALLOW_IPS  the proxy whose X-Forwarded-* headers are believed (default loopback)

Why gevent workers: a worker must not be held by a client that is slow or silent. gunicorn's sync
worker serves one connection at a time, so two connections that never finish their headers stop
two sync workers (issue 9). The gthread worker is no cure: a pool thread reads the request once
the connection is readable, and a client that sends half its headers then stalls keeps that
thread for as long as it likes (a silent one keeps it 5 s), so a few dozen slow connections empty
the pool. A gevent worker gives each connection a greenlet, which costs a few kilobytes while it
waits; it reads each request's headers under a ``keepalive``-second deadline and drops a client
that has not finished them by then. The libraries minyi waits on cooperate once gevent has patched
the standard library: redis-py and requests use Python's sockets, and psycopg 3 (3.1.14 or later)
waits with the patched ``select`` when it sees gevent's patching at import. SQLite calls do not
yield, and none of minyi's transactions waits on the network inside itself, so a SQLite database
still works, one write at a time. nginx in front (deploy/nginx/minyi.conf) buffers whole requests
too: slow clients are then nginx's problem, and gevent is the second line.
"""

from __future__ import annotations

import os
import sys

import bot.logs

# The WSGI app. ``create_app`` reads the settings (environment, MINYI_CONFIG) in each worker.
wsgi_app = "bot:create_app()"

# Loopback by default: nginx on the same machine is the only client. With two web servers behind
# one proxy, bind to the private address the proxy reaches (deploy/README.md).
bind = [os.environ.get("MINYI_BIND", "127.0.0.1:8000")]

# The proxy whose X-Forwarded-Proto/-For gunicorn believes (comma-separated addresses or networks).
# Loopback by default; with the proxy on another machine, set FORWARDED_ALLOW_IPS to its address.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# One process per CPU: inside a process, gevent overlaps the waits on PostgreSQL, Redis and the
# clients, so more processes than cores would only add memory and database connections. Each
# worker may hold up to 20 PostgreSQL connections under load (two pools of 10, no overflow, see
# bot/db.py): PostgreSQL's max_connections must exceed workers x 20 for every web server, plus
# the scheduler's.
workers = int(os.environ.get("MINYI_WORKERS") or len(os.sched_getaffinity(0)))
worker_class = "gevent"
# Simultaneous connections per worker, slow ones included (each a greenlet). Past this a worker
# stops accepting and the others take the connections.
worker_connections = 1000

# Under gevent one request cannot hold a worker, so this fires only when something blocks the
# whole process (a CPU-bound loop, a stuck C call) for 30 s: the worker is killed and replaced.
timeout = 30
# On restart or stop, requests in flight get this long to finish. WeChat gives a delivery 5 s per
# try, a database retry a few more; 20 s leaves room (systemd's TimeoutStopSec is 30 s).
graceful_timeout = 20
# Seconds a client has to send each request's headers (the gevent worker reads them under this
# deadline) and that an idle kept-alive connection is held. nginx keeps its upstream connections
# idle for at most 4 s (keepalive_timeout in the upstream block), so gunicorn never closes one
# under nginx's feet.
keepalive = 5

# Request size limits: WeChat's longest query (signature, timestamp, nonce, openid, encrypt_type,
# msg_signature) is about 250 bytes and the console's URLs are short; browsers send 10-20 headers,
# nginx adds 6. Anything beyond is not a client of ours (400 at once).
limit_request_line = 2048
limit_request_fields = 50
limit_request_field_size = 8190

# Replace each worker after about 20,000 requests, so that a slow leak (in a library, or ours)
# cannot grow for ever; the jitter keeps the workers from restarting all at once.
max_requests = 20_000
max_requests_jitter = 2_000

# No preload: psycopg chooses how to wait for the database when it is first imported, and must
# see gevent's patching, which each worker applies after the fork; an app loaded in the master
# would also share its database and Redis sockets with every worker. Each worker builds its own
# app (about a second), and `systemctl reload` (SIGHUP) starts new workers on new code.
preload_app = False

# The heartbeat file in memory: on disk, a slow fsync elsewhere could delay it past `timeout`.
worker_tmp_dir = "/dev/shm"

# gunicorn's control socket (`gunicornc`): under systemd in the unit's RuntimeDirectory
# (/run/minyi-web); elsewhere none, so that several instances on one machine do not share one.
if os.environ.get("RUNTIME_DIRECTORY"):
    control_socket = os.path.join(os.environ["RUNTIME_DIRECTORY"].split(":")[0], "gunicorn.ctl")
else:
    control_socket_disable = True

# One logging setup for gunicorn and the app (bot/logs.py): ISO timestamps, the request id, no
# openid, token, secret or signed query string. To stderr, which systemd sends to the journal.
logconfig_dict = bot.logs.gunicorn_logconfig_dict()
access_log_format = bot.logs.GUNICORN_ACCESS_LOG_FORMAT
accesslog = "-"
errorlog = "-"
loglevel = "info"
proc_name = "minyi-web"


def post_worker_init(worker) -> None:
    """Say when a worker has loaded the app and serves (gunicorn says only when it starts one).
    Refuse to serve if psycopg would wait for the database without yielding to other clients:
    that happens when it was imported before gevent patched the worker (``preload_app``, or a
    module imported by this file that imports psycopg). One query would then stall every
    connection of the worker."""
    monkey = sys.modules.get("gevent.monkey")
    waiting = sys.modules.get("psycopg.waiting")
    if (monkey is not None and monkey.is_module_patched("select") and waiting is not None
            and waiting.wait is getattr(waiting, "wait_c", None)):
        worker.log.critical("psycopg was imported before gevent patched this worker: its waits would "
                            "block every client; do not preload the app")
        sys.exit(3)  # gunicorn's "worker failed to boot": the master stops instead of looping
    worker.log.info("worker %s is ready", worker.pid)


def post_request(worker, req, environ, resp) -> None:
    """Give the worker's other connections their turn after each request. On a fast network the
    next request on a kept-alive connection is often there before the worker looks, and a
    greenlet that never has to wait never yields: the others wait behind it. (With 32 busy
    connections on a bare app, the slowest 1 % of answers went from 400-700 ms to about 120 ms.)"""
    if worker.cfg.worker_class_str == "gevent":
        import gevent

        gevent.sleep(0)
