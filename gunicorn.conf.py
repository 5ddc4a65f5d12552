"""gunicorn's settings for fagdag: `gunicorn -c gunicorn.conf.py fagdag.wsgi`.

Read from the environment, like the app's settings:

GUNICORN_BIND     address to listen on (default 127.0.0.1:$PORT, PORT default 8000);
                  behind nginx on the same host keep 127.0.0.1, or use unix:/run/fagdag.sock
WEB_CONCURRENCY   worker processes (default 2 x cores + 1, at most 9)
GUNICORN_TIMEOUT  seconds a worker may spend on one request before it is restarted (30)
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")

# Sync workers: each handles one request at a time and keeps one database
# connection (CONN_MAX_AGE). The usual 2 x cores + 1, capped so that several
# app servers do not take more PostgreSQL connections than it allows
# (max_connections, 100 by default: 9 workers x 10 servers).
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 9)))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5

# Each worker is replaced after about ten thousand requests, so a slow leak
# never grows for long; the jitter keeps them from restarting together. Not
# sooner: a new worker starts Django again and renders the pages it keeps
# (the registration form, the programme; events/kept_pages.py) anew, which
# after a thousand requests (about ten seconds of a rush) cost more CPU than
# the requests themselves (bench/rush.py, README).
max_requests = 10000
max_requests_jitter = 1000

# The app imports in each worker, not in the master: `kill -HUP` then loads
# new code, and no database connection can be shared across a fork. Startup
# takes a second longer; memory is not a concern at this size.
preload_app = False

# The app writes one JSON line per request itself (fagdag.middleware), without
# client addresses; gunicorn's access log would repeat it, with them.
accesslog = None
errorlog = "-"
# gunicorn's own lines (workers booting, timeouts) as JSON too, like the app's.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"personal_data": {"()": "fagdag.logs.PersonalDataFilter"}},
    "formatters": {"json": {"()": "fagdag.logs.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["personal_data"],
            "stream": "ext://sys.stderr",
        }
    },
    "loggers": {
        "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # Off: it would log client addresses and whole paths, secrets and all.
        "gunicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
    },
}

# Requests reach the app through nginx on the same host (docs/deployment.md);
# gunicorn believes its X-Forwarded-* headers from there only.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# No control socket: by default every gunicorn of a user shares one path.
control_socket_disable = True
