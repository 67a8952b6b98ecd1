import sys

from neuroai.course.cli import main

sys.exit(main())
