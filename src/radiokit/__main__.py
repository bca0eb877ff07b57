"""`python -m radiokit` runs the command-line tool."""

from radiokit.cli import main

main()
