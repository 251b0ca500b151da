"""``python -m infogan``: the same as the ``infogan`` command."""

import sys

from infogan.cli import main

sys.exit(main())
