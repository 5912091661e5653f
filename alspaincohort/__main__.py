"""``python -m alspaincohort`` runs the command-line interface."""

from .cli import main

main()
