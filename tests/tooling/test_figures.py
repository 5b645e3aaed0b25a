"""The diagrams in images/ are exactly what images/make_diagrams.py draws."""

import filecmp
import importlib.util

from tests.booklib import ROOT

IMAGES = ROOT / "images"


def load_script():
    spec = importlib.util.spec_from_file_location(
        "make_diagrams", IMAGES / "make_diagrams.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_diagrams_match_the_script(tmp_path):
    written = load_script().main(tmp_path)
    assert written, "the script drew nothing"
    for path in written:
        committed = IMAGES / path.name
        assert committed.is_file(), (
            f"{path.name} is not committed: run python images/make_diagrams.py"
        )
        assert filecmp.cmp(path, committed, shallow=False), (
            f"images/{path.name} is stale: run python images/make_diagrams.py and commit the result"
        )


def test_every_image_comes_from_the_script():
    drawn = set(load_script().DIAGRAMS)
    stored = {p.name for p in IMAGES.iterdir() if p.suffix in {".svg", ".png", ".jpg"}}
    assert stored <= drawn, (
        f"images with no script behind them: {sorted(stored - drawn)}"
    )
