"""Entry point: `python3 DIR/mirrorbench_torch ARGS` (as the harness runs it)
or `python3 -m mirrorbench_torch ARGS`."""

import os
import sys

if not __package__:
    # Started as a path: Python put this folder first on sys.path, where its
    # modules would import as top-level names. Import them as the package
    # they are instead, from the folder above.
    _here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _here]
    sys.path.insert(0, os.path.dirname(_here))
    from mirrorbench_torch.cli import main
else:
    from .cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
