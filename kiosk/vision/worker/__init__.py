"""The kiosk's vision work in worker processes, out of the web process.

- ``python -m kiosk.vision.worker`` (kiosk.vision.worker.child): one process per kiosk terminal: frame
  source, presence gate, CCCD QR ladder and card confirmation, face detection, tracking, liveness,
  encoding and gallery matching.
- kiosk.vision.worker.client.VisionWorker: the service side: starts, feeds, watches and restarts it.
- kiosk.vision.worker.protocol: the framed messages over the child's stdin/stdout.
- kiosk.vision.worker.presence: the cheap motion check that keeps an empty hall cheap.

Importing this package loads no image library (the web process imports the client).
"""
from kiosk.vision.worker.client import FrameError, VisionWorker, WorkerSettings

__all__ = ["FrameError", "VisionWorker", "WorkerSettings"]
