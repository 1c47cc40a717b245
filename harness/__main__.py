"""``python -m harness COMMAND ...``: a thin dispatcher to the command modules."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "migrate":
        from harness.db.cli_migrate import main as migrate_main

        return migrate_main(args[1:])
    print("usage: python -m harness migrate up|down|status|history [--to NAME] [--database-url URL]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
