"""``python -m snnconvert``: the same as the ``snnconvert`` command."""

import sys

from snnconvert.cli import main

sys.exit(main())
