"""`python -m mobility`: the `mobility` command, for images and places without the console script."""

from mobility.cli import main

if __name__ == "__main__":
    main()
