import sys

from neuroai.cli import main

sys.exit(main())
