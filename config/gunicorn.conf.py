"""gunicorn's configuration: `gunicorn -c config/gunicorn.conf.py config.wsgi` (see `make serve`).

Every value comes from the environment, like the Django settings. gunicorn's access log is
off: the app writes one JSON line per request itself (config.middleware), with the request
id and user that gunicorn cannot know. gunicorn's own messages (start, worker restarts,
timeouts) use the same formatter, so stdout holds one kind of line.
"""

import multiprocessing
import os
from pathlib import Path

import environ

from config.logging import logging_config

# Read .env as the settings do, so that gunicorn and Django agree on the log format.
if os.environ.get("DJANGO_READ_DOT_ENV", "true").lower() not in {"0", "false", "no", "off"}:
    environ.Env.read_env(Path(__file__).resolve().parent.parent / ".env", overwrite=False)


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


# GUNICORN_BIND wins; a PaaS's PORT means "listen on every interface on that port".
bind = os.environ.get("GUNICORN_BIND") or (
    f"0.0.0.0:{os.environ['PORT']}" if os.environ.get("PORT") else "127.0.0.1:8000"
)
# X-Forwarded-Proto (and -For) only from the local proxy (deploy/nginx/bookstore.conf);
# the app applies the same rule with DJANGO_TRUSTED_PROXIES.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS") or "127.0.0.1,::1"
workers = _int("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1)
# More than one thread switches gunicorn to its gthread worker: a worker waiting on S3
# during an upload still serves other requests.
threads = _int("GUNICORN_THREADS", 2)
# A request running longer than this gets its worker killed and restarted.
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Keep it above the load balancer's idle timeout, or it may reuse a closed connection.
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Workers are recycled now and then, so a slow leak never grows without bound.
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 100)
# Tmp files for the worker heartbeat in memory, not on a possibly slow disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 (gunicorn docs advise it)

# gunicorn 25+ opens a control socket at one fixed path per user, which a second instance
# on the same machine would fight over; it is only opened when a path is given.
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")
if not control_socket_disable:
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]

accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
_debug = os.environ.get("DJANGO_DEBUG", "").lower() in {"1", "true", "yes", "on"}
logconfig_dict = logging_config(os.environ.get("DJANGO_LOG_FORMAT") or ("plain" if _debug else "json"))
logconfig_dict["loggers"] |= {
    "gunicorn.error": {"level": loglevel.upper(), "handlers": ["stdout"], "propagate": False},
    "gunicorn.access": {"level": "WARNING", "handlers": ["stdout"], "propagate": False},
    # Django sends a body with HEAD responses, as WSGI allows; gunicorn drops it and would
    # warn about it on every load balancer HEAD probe.
    "gunicorn.http.wsgi": {"level": "ERROR"},
}
