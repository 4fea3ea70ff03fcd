"""``python -m dmde``: the same as the ``dmde`` command."""

import sys

from dmde.cli import main

sys.exit(main())
