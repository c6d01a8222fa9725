"""``python -m kiosk.cli …``: the same as ``clinic-kiosk …``."""

import sys

from kiosk.cli.commands import main

sys.exit(main())
