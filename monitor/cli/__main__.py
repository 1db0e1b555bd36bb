"""`python -m monitor.cli`: the `repmon` command."""

import sys

from monitor.cli import main

sys.exit(main())
