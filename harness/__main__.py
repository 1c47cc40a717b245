"""``python -m harness COMMAND``: the harness's command line.

Commands (each has --help):
  verify-connections   check DATABASE_URL, DATABASE_POOL_URL and Redis over TLS, print a table
  stack                start the local TLS stack and print its .env until Ctrl-C
  migrate              apply / roll back / show schema migrations (direct URL)
  backup               dump, verify by restore, apply retention
  serve                run the reference web app with uvicorn
  mcp-standin          run the MCP stand-in (/health up, down, slow or hanging)
  flake-check          run the sign-off N times, report criteria whose status changed
"""

from __future__ import annotations

import importlib
import sys

COMMANDS = {
    "verify-connections": "harness.verify:main",
    "stack": "harness.infra.cli:main",
    "migrate": "harness.db.cli_migrate:main",
    "backup": "harness.db.backup:main",
    "serve": "harness.web.cli:main",
    "mcp-standin": "harness.web.cli:main",
    "flake-check": "harness.signoff.flake:main",
}
#: Commands whose module parses the command name itself.
KEEP_NAME = {"serve", "mcp-standin"}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if args else 2
    command, rest = args[0], args[1:]
    if command not in COMMANDS:
        print(f"unknown command {command!r}; one of: {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    module_name, _, func = COMMANDS[command].partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        print(f"{command}: not available in this build ({exc})", file=sys.stderr)
        return 2
    result: int = getattr(module, func)([command, *rest] if command in KEEP_NAME else rest)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
