"""`faces identify --gallery DIR IMAGE...` on testdata/faces, with a gallery built under tmp_path."""
from __future__ import annotations

import json

from click.testing import CliRunner

from kiosk.cli.faces import faces


def _gallery(tmp_path, root, people: dict[str, list[str]]):
    d = tmp_path / "gallery"
    for person, files in people.items():
        (d / person).mkdir(parents=True)
        for f in files:
            (d / person / f.split("/")[-1]).symlink_to(root / "faces" / f)
    (d / "README.txt").write_text("not a folder: ignored")
    return d


def test_identify_prints_one_json_line_per_image_and_exits_0(tmp_path, shared_testdata) -> None:
    gallery = _gallery(tmp_path, shared_testdata, {
        "matt": ["people/matt/img29.jpg", "people/matt/img31.jpg"],
        "obama": ["people/obama/obama.jpg"],
        "angelina": ["people/angelina/img1.jpg"],
    })
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff garbage")
    f = shared_testdata / "faces"
    probes = [f / "people/matt/img30.jpg", f / "people/leonardo/img35.jpg", f / "variants/obama2_rgba.png",
              f / "scenes/couple.jpg", tmp_path / "broken.jpg", tmp_path / "missing.png"]
    result = CliRunner().invoke(faces, ["identify", "--gallery", str(gallery), *map(str, probes)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [x["file"] for x in lines] == list(map(str, probes))
    by = {x["file"].split("/")[-1]: x for x in lines}
    assert by["img30.jpg"]["match"] == "matt" and by["img30.jpg"]["faces"] == 1
    assert by["img35.jpg"]["match"] is None and by["img35.jpg"]["distance"] > 0.48  # lookalike refused
    assert by["img35.jpg"]["reason"] == "too_far" and by["img30.jpg"]["reason"] == "accepted"
    assert by["obama2_rgba.png"]["match"] == "obama"
    assert by["couple.jpg"]["faces"] == 2 and by["couple.jpg"]["match"] == "angelina"
    for name in ("broken.jpg", "missing.png"):
        assert by[name]["error"] and by[name]["match"] is None
    assert all(set(x) >= {"file", "faces", "match", "distance", "ms"} for x in lines)


def test_identify_with_a_missing_gallery_is_a_usage_error(tmp_path) -> None:
    result = CliRunner().invoke(faces, ["identify", "--gallery", str(tmp_path / "none"), "x.jpg"])
    assert result.exit_code == 2 and "does not exist" in result.output
