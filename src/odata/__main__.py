"""``python -m odata`` runs the command line."""

from odata.cli import main

main()
