"""``python -m ragwarden.cli``: the same as the ``ragwarden`` command."""

import sys

from ragwarden.cli import main

sys.exit(main())
