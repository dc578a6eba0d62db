"""What one camera frame produced: the faces in view and the card, as the kiosk session consumes it.

:class:`Observation` and :class:`FaceView` are plain frozen data: the vision worker process
(kiosk.vision.worker) makes them, the protocol carries them over a pipe, and the kiosk session
(kiosk.session.flow.KioskFlow) is fed them in the service. Importing this module loads no image
library (numpy is not needed either): the web process imports it without cv2, dlib or zxing.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kiosk.vision.cccd import CccdRecord

__all__ = ["FaceView", "Observation", "Point"]

Point = tuple[float, float]


@dataclass(frozen=True)
class FaceView:
    """One tracked face in one frame, in normalised frame coordinates (0..1, camera's view).

    ``box`` is (left, top, right, bottom); ``decision`` is "pending", "identified" or "unknown";
    ``liveness`` is "pending", "live" or "spoof"; ``accepted`` = identified and live (the kiosk acts
    only on that); ``identity`` the gallery key when identified; ``templates`` how many encodings
    the observer holds for the track (for enrolment after consent).
    """

    track_id: int
    box: tuple[float, float, float, float]
    decision: str
    liveness: str
    accepted: bool
    identity: str | None
    quality_ok: bool
    quality_reasons: tuple[str, ...] = ()
    templates: int = 0

    @property
    def center(self) -> Point:
        return ((self.box[0] + self.box[2]) / 2.0, (self.box[1] + self.box[3]) / 2.0)

    def to_screen(self) -> dict[str, Any]:
        """What the page draws: the box and the state, never the identity key."""
        return {"track_id": self.track_id, "box": [round(v, 4) for v in self.box], "decision": self.decision,
                "liveness": self.liveness, "accepted": self.accepted, "quality_ok": self.quality_ok,
                "quality_reasons": list(self.quality_reasons)}


@dataclass(frozen=True, repr=False)
class Observation:
    """What one frame (or one failed read) produced.

    ``camera_ok`` False: no frame could be read (the kiosk falls back to touch). ``card`` is set in
    the one frame where a card became confirmed (two agreeing reads); ``card_seen`` whenever this frame
    held a valid card; ``card_error`` the reason code of a QR that was read but is not a card
    (``url``, ``mojibake`` …; ``no_qr`` and ``qr_unreadable`` are not reported). ``label`` the text of a
    non-card QR starting with one of the pipeline's ``text_prefixes`` (then ``card_error`` is None). ``card_outline`` is
    the QR's 4 corners, normalised. ``preview`` is a small JPEG of the frame (only now and then).
    ``gated``: the vision worker's presence gate judged the frame empty and ran only its cheap motion
    check on it (no QR or face search): to the flow it is a frame with nobody in view.
    """

    timestamp: float
    camera_ok: bool
    faces: tuple[FaceView, ...] = ()
    card: CccdRecord | None = None
    card_seen: bool = False
    card_pending: bool = False
    card_error: str | None = None
    card_outline: tuple[Point, ...] | None = None
    frame_size: tuple[int, int] | None = None
    preview: bytes | None = None
    ms: float = 0.0
    face_engine_ok: bool = True
    label: str | None = None
    gated: bool = False

    def __repr__(self) -> str:
        # never the card, the label or the preview: a repr can end up in a log
        return (f"Observation(t={self.timestamp:.2f}, camera_ok={self.camera_ok}, faces={len(self.faces)}, "
                f"card={'yes' if self.card else 'no'}, card_error={self.card_error!r}, "
                f"label={'yes' if self.label else 'no'}, ms={self.ms:.1f})")

    @property
    def primary(self) -> FaceView | None:
        """The largest face: the citizen standing at the kiosk."""
        return self.faces[0] if self.faces else None

    @property
    def recognised(self) -> FaceView | None:
        """The primary face when it is accepted (identified and live)."""
        face = self.primary
        return face if face is not None and face.accepted else None

    def to_screen(self) -> dict[str, Any]:
        """The overlay data for the page: face boxes and card outline (no identity, no card data)."""
        return {"camera_ok": self.camera_ok, "faces": [f.to_screen() for f in self.faces],
                "card_outline": None if self.card_outline is None else
                [[round(x, 4), round(y, 4)] for x, y in self.card_outline],
                "card_pending": self.card_pending, "frame_size": self.frame_size}
