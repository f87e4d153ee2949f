"""Run the webhook receiver standalone: ``python -m airflow_provider_calendly.webhooks --port 8080``.

Deliveries go to ``POST http://HOST:PORT/calendly/webhooks`` (``--prefix`` changes ``/calendly``). The signing
key comes from ``--signing-key-env`` (an environment variable's name, default ``CALENDLY_WEBHOOK_SIGNING_KEY``)
or, if that is unset, from the ``webhook_signing_key`` extra of ``--calendly-conn-id``; it is never taken on
the command line, where ``ps`` would show it.
"""

from __future__ import annotations

import argparse
import logging
import os

from airflow_provider_calendly.webhooks.inbox import DEFAULT_INBOX_CONN_ID
from airflow_provider_calendly.webhooks.signature import DEFAULT_TOLERANCE


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m airflow_provider_calendly.webhooks",
        description="Receive signed Calendly webhook deliveries into a durable inbox.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--prefix", default="/calendly", help="path prefix (default /calendly)")
    parser.add_argument("--inbox-conn-id", default=DEFAULT_INBOX_CONN_ID, help="Airflow connection of the inbox DB")
    parser.add_argument("--calendly-conn-id", default="calendly_default", help="connection holding the signing key")
    parser.add_argument("--signing-key-env", default="CALENDLY_WEBHOOK_SIGNING_KEY", help="env var with the key")
    parser.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE, help="signature age limit (s)")
    parser.add_argument("--retention-days", type=float, default=7.0, help="days to keep deliveries")
    parser.add_argument("--organization", default=None, help="organization URI to tag deliveries with")
    parser.add_argument("--log-level", default="info")
    return parser


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and serve until interrupted."""
    import socket

    import uvicorn

    from airflow_provider_calendly.webhooks.app import create_app

    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    env_key = os.environ.get(args.signing_key_env)
    app = create_app(
        prefix=args.prefix,
        signing_keys=[env_key] if env_key else None,
        calendly_conn_id=args.calendly_conn_id,
        inbox_conn_id=args.inbox_conn_id,
        tolerance=args.tolerance,
        retention=args.retention_days * 86400,
        organization=args.organization,
    )
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    sock.listen(2048)
    host, port = sock.getsockname()[:2]
    print(f"Calendly webhook receiver on http://{host}:{port}{args.prefix.rstrip('/')}/webhooks", flush=True)
    config = uvicorn.Config(app, log_level=args.log_level.lower(), access_log=False, lifespan="off")
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        app.state.receiver.close()
        sock.close()


if __name__ == "__main__":
    main()
