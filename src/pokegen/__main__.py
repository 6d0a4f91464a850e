"""python -m pokegen"""

from pokegen.cli import main

if __name__ == "__main__":
    main()
