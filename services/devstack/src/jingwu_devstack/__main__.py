"""``python -m jingwu_devstack`` = the ``devstack`` command."""

from jingwu_devstack.cli import main

raise SystemExit(main())
