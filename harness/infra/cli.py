"""``python -m harness stack``: run the local TLS stack for manual use (e.g. ``serve``, ``--app-url``)."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from .errors import ProvisioningError
from .external import write_env_file
from .local import LocalStack


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness stack",
                                     description="Start PostgreSQL, PgBouncer and Redis (TLS) as local processes, "
                                                 "write their .env, and keep them up until Ctrl-C.")
    parser.add_argument("--env-out", type=Path, default=Path(".env.local"),
                        help="where to write the stack's .env (mode 0600; contains passwords) [.env.local]")
    args = parser.parse_args(argv)
    local = LocalStack()
    try:
        stack = local.start()
    except ProvisioningError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        write_env_file(stack, args.env_out)
        print(f"stack up in {local.timings['total_s']:.2f} s: {stack.versions}")
        print(f"environment written to {args.env_out} (use: pytest --env-file {args.env_out}); Ctrl-C to stop")
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        local.stop()
        print("stack stopped")
    return 0
