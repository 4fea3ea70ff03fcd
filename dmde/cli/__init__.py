"""The ``dmde`` command: a thin shell, one library call per command.

Exit codes: 0 done; 1 the inputs are refused (a file missing, unreadable or not matching, data
that cannot satisfy the options); 2 the command line is wrong (an unknown option, a value out of
its range, options missing or that do not go together); 130 interrupted. Every error is one line
on standard error, ``dmde COMMAND: error: ...``, naming the flag as typed (see
:func:`dmde.core.errors.command_line_message`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from dmde.cli.commands import COMMANDS
from dmde.cli.options import COMMAND_NAMES, build_parser, check_option_names, parameter_flags
from dmde.core.errors import EXIT_DATA, EXIT_INTERRUPTED, EXIT_OK, command_line_message

__all__ = ["build_parser", "main"]


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so that Python's last flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``dmde`` command line; returns the exit code (see the module's docstring)."""
    words = list(sys.argv[1:] if argv is None else argv)
    # Only the options of the command that runs are built (its modules are imported then).
    command = words[0] if words and words[0] in COMMAND_NAMES else ""
    parser = build_parser(command)
    check_option_names(parser, words)
    args = parser.parse_args(words)
    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print(f"dmde {args.command}: interrupted; no partial output was left", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of stdout left (``dmde catalog | head``): what it read is all it wanted;
        # the command's files, if any, were written before its summary was printed.
        _quiet_stdout()
        return EXIT_OK
    except Exception as exc:
        said = command_line_message(exc, parameter_flags(parser, args.command))
        if said is None and isinstance(exc, ValueError):
            # A value dmde did not check itself: still the user's input, said on one line.
            said = " ".join(str(exc).split()) or type(exc).__name__, EXIT_DATA
        if said is None:
            raise
        message, code = said
        print(f"dmde {args.command}: error: {message}", file=sys.stderr)
        return code
