"""Run the command-line interface as `python -m reportgen`."""

from reportgen.cli import main

main()
