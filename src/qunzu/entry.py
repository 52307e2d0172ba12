"""The `qunzu` command. `qunzu review scan` takes a fast path that skips the operator CLI's imports: it is the
stable contract for external evaluation, often run as a whole process on large inputs."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:3] == ["review", "scan"]:
        from qunzu.review.scan_cli import main as scan_main

        raise SystemExit(scan_main(sys.argv[3:]))
    from qunzu.cli import main as cli_main

    cli_main()
