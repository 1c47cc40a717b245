"""``python -m harness serve`` and ``python -m harness mcp-standin``: the reference app and the MCP stand-in.

    main(["serve", "--port", "8000"])                        # reference app, settings from the environment
    main(["serve", "--env-file", ".env", "--app", "pkg.mod:create_app"])
    main(["mcp-standin", "--port", "9100", "--mode", "hang"])
"""

from __future__ import annotations

import argparse
import importlib
import os
from collections.abc import Callable, Sequence
from typing import Any

import uvicorn

from .mcp_standin import MODES, McpStandin
from .settings import AppSettings


def _factory(path: str) -> Callable[[AppSettings], Any]:
    module, _, attr = path.partition(":")
    obj: Any = getattr(importlib.import_module(module), attr or "create_app")
    return obj  # type: ignore[no-any-return]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the reference app with uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--env-file", default=None, help="read the plan's variables from this .env file first")
    serve.add_argument("--app", default="harness.web.app:create_app",
                       help="factory(settings) -> ASGI app (default: the reference app)")
    mcp = sub.add_parser("mcp-standin", help="run the MCP stand-in (GET /health)")
    mcp.add_argument("--host", default="127.0.0.1")
    mcp.add_argument("--port", type=int, default=9100)
    mcp.add_argument("--mode", choices=MODES, default="up")
    mcp.add_argument("--delay-ms", type=float, default=50.0, help="delay of the 'slow' mode")
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.command == "mcp-standin":
        standin = McpStandin(args.mode, delay_s=args.delay_ms / 1000.0)
        uvicorn.run(standin.app, host=args.host, port=args.port, log_level="warning", timeout_graceful_shutdown=1)
        return 0
    env = dict(os.environ)
    if args.env_file:
        from harness.infra.external import read_env_file  # noqa: PLC0415 - only for this option
        from pathlib import Path  # noqa: PLC0415

        env.update(read_env_file(Path(args.env_file)))
    app = _factory(args.app)(AppSettings.from_env(env))
    uvicorn.run(app, host=args.host, port=args.port, log_level="info", timeout_graceful_shutdown=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
