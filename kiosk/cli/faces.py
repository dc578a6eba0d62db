"""`kiosk faces ...`: the face engine on still photos, for checks and demonstrations.

`kiosk faces identify --gallery DIR IMAGE...` enrols DIR (one folder per person, enrolment photos
inside) in memory, then prints one JSON object per image and line:
``{"file", "faces", "match", "distance", "reason", "ms"}`` (``"error"`` added for an unusable file;
``reason`` is the rule's answer for the nearest face: accepted, too_far, ambiguous, not_distinct, or
empty_gallery). The engine and the decision rule are the kiosk's (``gallery.DEFAULT_RULE``: a gallery of
fewer than 50 people accepts only within 0.38, as a new centre's kiosk does; docs/faces.md); agreement
over several frames does not apply to a single photo. Nothing is written to disk.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".gif"}


def build_gallery(folder: Path) -> tuple[Any, list[str]]:
    """Enrol every photo of every sub-folder of ``folder``; returns (Gallery, warnings).

    A photo without a face or with an unreadable file is skipped with a warning; with several
    faces the largest one is enrolled (also with a warning).
    """
    from kiosk.vision import faces
    from kiosk.vision.gallery import Gallery

    gallery = Gallery()
    warnings: list[str] = []
    for person in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        photos = sorted(p for p in person.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        for photo in photos:
            try:
                found = faces.encode_image(faces.load_image(photo))
            except faces.FaceError as exc:
                warnings.append(f"skipped {photo}: {exc}")
                continue
            if not found:
                warnings.append(f"skipped {photo}: no face found")
                continue
            if len(found) > 1:
                warnings.append(f"{photo}: {len(found)} faces, the largest one enrolled")
            gallery.add(person.name, found[0][1])
        if not gallery.count(person.name):
            warnings.append(f"{person.name}: no usable enrolment photo")
    return gallery, warnings


def identify_file(gallery: Any, path: str) -> dict[str, Any]:
    """The JSON object of one probe image (see the module docstring). Never raises for bad input."""
    from kiosk.vision import faces

    t0 = time.perf_counter()
    out: dict[str, Any] = {"file": path, "faces": 0, "match": None, "distance": None, "reason": None}
    try:
        found = faces.encode_image(faces.load_image(path))
    except faces.FaceError as exc:
        out["error"] = str(exc)
        out["ms"] = round((time.perf_counter() - t0) * 1000.0, 1)
        return out
    out["faces"] = len(found)
    best = None
    nearest = None
    for _box, template in found:
        m = gallery.match(template)
        if nearest is None or (m.distance is not None and (nearest.distance is None or m.distance < nearest.distance)):
            nearest = m
        if m.accepted and (best is None or m.distance < best.distance):
            best = m
    # distance: of the accepted match, else of the nearest enrolled face (for information)
    if best is not None:
        out["match"], out["distance"], out["reason"] = best.identity, round(best.distance, 4), best.reason
    elif nearest is not None:
        out["reason"] = nearest.reason
        if nearest.distance is not None:
            out["distance"] = round(nearest.distance, 4)
    out["ms"] = round((time.perf_counter() - t0) * 1000.0, 1)
    return out


@click.group("faces")
def faces() -> None:
    """Face recognition on still photos (same engine and decision rule as the kiosk)."""


@faces.command("identify")
@click.option("--gallery", "gallery_dir", required=True,
              type=click.Path(exists=True, file_okay=False, dir_okay=True, path_type=Path),
              help="Folder with one sub-folder of enrolment photos per person (the folder name is the match).")
@click.argument("images", nargs=-1, required=True)
def identify(gallery_dir: Path, images: tuple[str, ...]) -> None:
    """Identify the faces in IMAGE... against the people of --gallery; one JSON line per image."""
    from kiosk.vision.faces import FaceEngineError

    try:
        gallery, warnings = build_gallery(gallery_dir)
    except FaceEngineError as exc:
        raise click.ClickException(str(exc)) from None
    for w in warnings:
        click.echo(f"warning: {w}", err=True)
    if not gallery.identities():
        click.echo("warning: the gallery is empty: nothing can match", err=True)
    for path in images:
        click.echo(json.dumps(identify_file(gallery, path), ensure_ascii=False))
        sys.stdout.flush()
