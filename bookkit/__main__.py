"""`python -m bookkit COMMAND`: what tasks.py runs inside the environment (see bookkit.cli)."""

import sys

from bookkit.cli import main

try:
    main(sys.argv[1:])
except KeyboardInterrupt:  # Ctrl-C: one line, not a traceback from wherever it landed
    print("error: interrupted", file=sys.stderr)
    sys.exit(130)
