"""``python -m kiosk.vision.worker``: one vision worker process (see kiosk.vision.worker.child)."""
import sys

from kiosk.vision.worker.child import main

sys.exit(main())
