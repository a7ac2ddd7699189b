"""``python -m nn``: the ``lucidgrad`` command line (``python -m nn train --help``)."""

from .cli import main

raise SystemExit(main())
