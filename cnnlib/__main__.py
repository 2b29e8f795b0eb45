"""`python -m cnnlib ...`: the course's command line (see cnnlib.cli)."""

import sys

from cnnlib.cli import main

if __name__ == "__main__":
    sys.exit(main())
