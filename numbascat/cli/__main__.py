import sys

from numbascat.cli import main

sys.exit(main())
