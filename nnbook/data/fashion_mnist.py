"""Where the FashionMNIST files come from: the real data if possible, else a stand-in in their format.

`torchvision.datasets.FashionMNIST(root, ...)` reads four IDX files from `root/FashionMNIST/raw/`.
`locate_fashion_mnist()` returns a `root` for which those files exist, in this order:

1. `NNBOOK_DATA` (default `~/.cache/nnbook-data`) already holds the real files: use them. They
   are checked first (`check_files`); if one is not FashionMNIST's, the stand-in is used, and the
   location's description says which file is wrong and how to fix it.
2. Otherwise try torchvision's download once, with a short network timeout, and catch every error.
3. Otherwise (no network) generate a stand-in: 28 × 28 greyscale silhouettes of the ten clothing
   classes, written in FashionMNIST's own file format under `NNBOOK_DATA/standin/`, never where the
   real files belong. The same torchvision loader then reads it.

The stand-in is deterministic: the same seed gives the same images on every run.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import socket
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DATA_ENV = "NNBOOK_DATA"
DEFAULT_ROOT = "~/.cache/nnbook-data"
SPLITS = {"train": "train", "test": "t10k"}  # FashionMNIST's file prefixes
IMAGE_MAGIC = 2051  # 0x00000803: unsigned bytes (0x08), 3 dimensions (0x03)
LABEL_MAGIC = 2049  # 0x00000801: unsigned bytes (0x08), 1 dimension (0x01)
SIDE = 28
NUM_CLASSES = 10
STANDIN_DIR = "standin"
# marks a root that holds a stand-in, and records how it was made
STANDIN_MANIFEST = "standin.json"
STANDIN_VERSION = 1
STANDIN_SIZES = {"train": 12_000, "test": 2_000}
STANDIN_SEED = 2017
REAL_SIZES = {"train": 60_000, "test": 10_000}  # images (and labels) in each real split
# The MD5s of the four .gz files that torchvision downloads (its FashionMNIST.resources). No
# published source gives the MD5s of the uncompressed files, and without the data they cannot be
# derived here, so an uncompressed file is checked by its header and exact size (labels also by
# their range, 0-9), and, where its .gz file is present (torchvision's download leaves both), it
# must be that .gz file's content, and the .gz file must have the published MD5.
GZ_MD5 = {
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}

REAL_DESCRIPTION = "the real FashionMNIST data"
STANDIN_DESCRIPTION = (
    "a generated stand-in in FashionMNIST's file format, because the real data could not be "
    "downloaded"
)


class FashionMNISTDataError(RuntimeError):
    """The data folder cannot be used; the message says why and what to do, in one line."""

    # IPython shows this instead of a traceback
    def _render_traceback_(
        self,
    ) -> list[str]:
        return [f"{type(self).__name__}: {self}"]


@dataclass(frozen=True)
class FashionMNISTLocation:
    """A root for `torchvision.datasets.FashionMNIST`, and whether it holds the real data.

    `note` says why the real files were not used, or what could not be checked in them.
    """

    root: Path
    real: bool
    note: str = ""

    @property
    def description(self) -> str:
        if self.note:
            kind = REAL_DESCRIPTION if self.real else STANDIN_DESCRIPTION.split(",")[0]
            return f"{kind} ({self.note})"
        return REAL_DESCRIPTION if self.real else STANDIN_DESCRIPTION


def data_root() -> Path:
    """The folder named by the environment variable NNBOOK_DATA, or ~/.cache/nnbook-data."""
    return Path(os.environ.get(DATA_ENV) or DEFAULT_ROOT).expanduser()


def file_names(split: str) -> tuple[str, str]:
    """The uncompressed image and label file names of a split, e.g. train-images-idx3-ubyte."""
    prefix = SPLITS[split]
    return f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"


def all_file_names() -> list[str]:
    return [name for split in SPLITS for name in file_names(split)]


def has_files(root: Path) -> bool:
    """True if the four uncompressed files that torchvision reads are under root/FashionMNIST/raw."""
    raw = Path(root) / "FashionMNIST" / "raw"
    return all((raw / name).is_file() for name in all_file_names())


def try_download(root: Path, timeout: float = 10.0) -> bool:
    """Let torchvision download the real data into root, once; return False on any failure."""
    from torchvision import datasets

    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout)
    try:
        for train in (True, False):
            datasets.FashionMNIST(root, train=train, download=True)
    # no network, a proxy, a timeout, a bad checksum: all mean "no"
    except Exception as err:
        print(
            f"FashionMNIST download failed ({type(err).__name__}); using a stand-in instead"
        )
        return False
    finally:
        socket.setdefaulttimeout(previous)
    return has_files(root)


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


def _check_file(raw: Path, name: str, count: int) -> str | None:
    """What is wrong with one uncompressed file of the real data, or None."""
    images = "images" in name
    header = (
        struct.pack(">4i", IMAGE_MAGIC, count, SIDE, SIDE)
        if images
        else struct.pack(">2i", LABEL_MAGIC, count)
    )
    size = len(header) + count * (SIDE * SIDE if images else 1)
    path = raw / name
    if path.stat().st_size != size:
        return f"`{name}` has {path.stat().st_size} bytes, but the real file has {size}"
    data = path.read_bytes()
    if data[: len(header)] != header:
        return f"`{name}` does not start with the header of FashionMNIST's {name}"
    if not images and max(data[len(header) :], default=0) >= NUM_CLASSES:
        return f"`{name}` holds labels above {NUM_CLASSES - 1}"
    gz = raw / f"{name}.gz"
    if gz.is_file():
        if _md5(gz) != GZ_MD5[gz.name]:
            return f"`{gz.name}` does not have the MD5 checksum of the real file"
        try:
            unpacked = gzip.decompress(gz.read_bytes())
        except (OSError, EOFError) as err:  # cannot happen for the real file
            return f"`{gz.name}` cannot be unpacked ({err})"
        if unpacked != data:
            return f"`{name}` differs from the content of `{gz.name}`"
    return None


def check_files(root: Path | str) -> str | None:
    """Return what is wrong with the real files under root/FashionMNIST/raw, or None."""
    raw = Path(root) / "FashionMNIST" / "raw"
    for split, count in REAL_SIZES.items():
        for name in file_names(split):
            problem = _check_file(raw, name, count)
            if problem:
                return problem
    return None


def _not_a_folder(root: Path) -> Path | None:
    """The file that stands where root, or one of the folders above it, should be."""
    return next(
        (p for p in (root, *root.parents) if p.exists() and not p.is_dir()), None
    )


def locate_fashion_mnist(
    root: Path | str | None = None, *, download: bool = True
) -> FashionMNISTLocation:
    """Return a FashionMNISTLocation: the real files if present or downloadable, else a stand-in.

    Real files that fail `check_files` are left alone; the stand-in is used, with a note that names
    the file. A root that is a file raises FashionMNISTDataError with a one-line message.
    """
    from_env = root is None
    root = Path(root).expanduser() if root is not None else data_root()
    blocker = _not_a_folder(root)
    if blocker is not None:
        where = f"{DATA_ENV}={root}" if from_env else f"the data folder {root}"
        raise FashionMNISTDataError(
            f"{where} is not a folder: {blocker} is a file; "
            f"point {DATA_ENV} at a folder, or unset it to use {DEFAULT_ROOT}"
        )
    if (root / STANDIN_MANIFEST).is_file() and has_files(root):
        return FashionMNISTLocation(root, real=False)
    if has_files(root) or (download and try_download(root)):
        problem = check_files(root)
        if problem is None:
            gz = [
                n for n in GZ_MD5 if not (root / "FashionMNIST" / "raw" / n).is_file()
            ]
            note = "not checksummed: its .gz files are missing" if gz else ""
            return FashionMNISTLocation(root, real=True, note=note)
        raw = root / "FashionMNIST" / "raw"
        note = (
            f"the files in {raw} are not the real ones: {problem}; "
            "delete that folder and run again to download them afresh"
        )
        return FashionMNISTLocation(_standin(root), real=False, note=note)
    return FashionMNISTLocation(_standin(root), real=False)


def _standin(root: Path) -> Path:
    """Write the stand-in under root/standin; an OSError becomes a one-line error."""
    try:
        return write_standin(root / STANDIN_DIR)
    except OSError as err:
        raise FashionMNISTDataError(
            f"cannot write the FashionMNIST stand-in to {root / STANDIN_DIR} "
            f"({type(err).__name__}: {err.strerror or err}); "
            f"point {DATA_ENV} at a folder you can write to"
        ) from None


# --- the IDX file format ----------------------------------------------------------------------


def idx_bytes(array: np.ndarray) -> bytes:
    """Encode a uint8 array of 1 or 3 dimensions in the IDX format that MNIST and FashionMNIST use.

    The header is a big-endian 32-bit magic number (two zero bytes, the type code 0x08 for unsigned
    bytes, the number of dimensions), then one big-endian 32-bit size per dimension. The values
    follow, row by row.
    """
    array = np.asarray(array)
    if array.dtype != np.uint8:
        raise TypeError(f"IDX files here hold uint8 values, not {array.dtype}")
    if array.ndim not in (1, 3):
        raise ValueError(
            f"expected labels (1-d) or images (3-d), got {array.ndim} dimensions"
        )
    magic = 0x0800 + array.ndim
    header = struct.pack(f">{1 + array.ndim}i", magic, *array.shape)
    return header + np.ascontiguousarray(array).tobytes()


def _write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename: readers never see half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_idx(path: Path | str, array: np.ndarray) -> Path:
    """Write `array` as an IDX file; gzip it if the name ends in .gz (as the downloads are)."""
    path = Path(path)
    data = idx_bytes(array)
    if path.suffix == ".gz":
        # mtime=0: the same bytes every time
        data = gzip.compress(data, compresslevel=6, mtime=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(path, data)
    return path


# --- the stand-in images ----------------------------------------------------------------------

_PIXEL = 2.0 / SIDE  # one pixel in the [-1, 1] coordinates used below


def _band(t, lo, hi):
    """1 where lo < t < hi, 0 outside, with edges one pixel wide (anti-aliased)."""
    return np.clip((t - lo) / _PIXEL + 0.5, 0, 1) * np.clip(
        (hi - t) / _PIXEL + 0.5, 0, 1
    )


def _bar(u, v, x0, y0, angle, length, half_width):
    """A rectangle that starts at (x0, y0) and points at `angle` (radians, 0 = right, + = down)."""
    du, dv = u - x0, v - y0
    along = du * np.cos(angle) + dv * np.sin(angle)
    across = -du * np.sin(angle) + dv * np.cos(angle)
    return _band(along, 0.0, length) * _band(across, -half_width, half_width)


def _disk(u, v, x0, y0, radius):
    return np.clip((radius - np.hypot(u - x0, v - y0)) / _PIXEL + 0.5, 0, 1)


def _union(*masks):
    return np.maximum.reduce(np.broadcast_arrays(*masks))


def _params(rng, n, lo, hi):
    """One uniform random number per image, shaped to broadcast over 28 × 28 pixels."""
    return rng.uniform(lo, hi, size=(n, 1, 1)).astype(np.float32)


def _chance(rng, n, p):
    """One coin flip per image: 1.0 with probability p, else 0.0."""
    return (rng.random((n, 1, 1)) < p).astype(np.float32)


def _top(
    u, v, rng, n, *, sleeves, long_sleeves, bottom, neck, v_neck, front, cuffs, pattern
):
    """A top: a body, two sleeves, a neckline and a few details, each drawn at random.

    T-shirts, pullovers, coats and shirts differ only in the ranges of these numbers, and the ranges
    overlap, as the real classes do.
    """
    w = _params(rng, n, 0.3, 0.47)  # half the width of the body
    is_long = _chance(rng, n, long_sleeves)
    length = is_long * _params(rng, n, 0.7, 1.05) + (1 - is_long) * _params(
        rng, n, *sleeves
    )
    angle = is_long * _params(rng, n, 1.0, 1.4) + (1 - is_long) * _params(
        rng, n, 0.3, 0.8
    )
    body = _band(u, -w, w) * _band(v, -0.6, _params(rng, n, *bottom))
    left = _bar(-u, v, w - 0.1, -0.47, angle, length, _params(rng, n, 0.1, 0.15))
    right = _bar(u, v, w - 0.1, -0.47, angle, length, _params(rng, n, 0.1, 0.15))
    mask = _union(body, left, right)
    # a round neckline
    mask = mask * (1 - _disk(u, v, 0.0, -0.62, _params(rng, n, *neck)))
    vee = _band(np.abs(u), -1, 0.5 * (v + 0.62)) * _band(v, -0.62, -0.2)
    mask = mask * (1 - _params(rng, n, *v_neck) * vee)
    line = _band(u, -0.03, 0.03) * _band(v, -0.4, 1)  # a zip, or a row of buttons
    mask = mask * (
        1 - _params(rng, n, *front) * line * (np.sin(v * 25) > _params(rng, n, -1, 0.7))
    )
    # ribbed hems and cuffs
    mask = mask * (1 - _params(rng, n, *cuffs) * _band(v, 0.45, 0.75))
    stripes = np.sin(_params(rng, n, 12, 25) * (u * _params(rng, n, -1, 1) + v)) > 0
    return mask * (1 - _params(rng, n, 0.0, 0.4) * _chance(rng, n, pattern) * stripes)


def _tshirt(u, v, rng, n):
    return _top(
        u,
        v,
        rng,
        n,
        sleeves=(0.12, 0.4),
        long_sleeves=0.0,
        bottom=(0.55, 0.85),
        neck=(0.08, 0.2),
        v_neck=(0, 0.3),
        front=(0, 0),
        cuffs=(0, 0.1),
        pattern=0.4,
    )


def _pullover(u, v, rng, n):
    return _top(
        u,
        v,
        rng,
        n,
        sleeves=(0.3, 0.4),
        long_sleeves=1.0,
        bottom=(0.5, 0.78),
        neck=(0.05, 0.16),
        v_neck=(0, 0.3),
        front=(0, 0.1),
        cuffs=(0.1, 0.45),
        pattern=0.3,
    )


def _coat(u, v, rng, n):
    return _top(
        u,
        v,
        rng,
        n,
        sleeves=(0.3, 0.4),
        long_sleeves=1.0,
        bottom=(0.7, 0.95),
        neck=(0.03, 0.12),
        v_neck=(0, 0.6),
        front=(0.35, 0.9),
        cuffs=(0, 0.3),
        pattern=0.1,
    )


def _shirt(u, v, rng, n):
    return _top(
        u,
        v,
        rng,
        n,
        sleeves=(0.15, 0.4),
        long_sleeves=0.5,
        bottom=(0.6, 0.9),
        neck=(0.03, 0.12),
        v_neck=(0.3, 1.0),
        front=(0, 0.6),
        cuffs=(0, 0.2),
        pattern=0.6,
    )


def _trouser(u, v, rng, n):
    gap = _params(rng, n, 0.0, 0.07)
    half = _params(rng, n, 0.11, 0.18)
    spread = _params(rng, n, 0.0, 0.1)
    left = _bar(-u, v, gap + half, -0.8, np.pi / 2 - spread, 1.65, half)
    right = _bar(u, v, gap + half, -0.8, np.pi / 2 - spread, 1.65, half)
    waist = _band(u, -(gap + 2 * half), gap + 2 * half) * _band(v, -0.85, -0.45)
    return _union(left, right, waist)


def _dress(u, v, rng, n):
    top, bottom = _params(rng, n, 0.12, 0.25), _params(rng, n, 0.28, 0.6)
    waist = _params(rng, n, 0.0, 0.08)
    half_width = (
        top
        + (bottom - top) * np.clip((v + 0.75) / 1.65, 0, 1)
        - waist * _band(v, -0.3, 0)
    )
    straps = (
        _band(np.abs(u), top - 0.08, top) * _band(v, -0.95, -0.7) * _chance(rng, n, 0.6)
    )
    return _union(_band(u, -half_width, half_width) * _band(v, -0.75, 0.9), straps)


def _sandal(u, v, rng, n):
    sole = _band(u, -0.85, 0.85) * _band(v, 0.28, 0.42)
    height = 0.28 - _params(rng, n, 0.2, 0.45) * np.clip((u + 1.2) / 2.0, 0, 1)
    straps = _band(u, -0.8, 0.8) * _band(v, height, 0.3)
    frequency, phase = _params(rng, n, 7, 12), _params(rng, n, 0, 2 * np.pi)
    holes = np.sin(frequency * (u + _params(rng, n, -0.5, 0.5) * v) + phase) < 0.2
    return _union(sole, straps * (1 - _params(rng, n, 0.7, 1.0) * holes))


def _sneaker(u, v, rng, n):
    sole = _band(u, -0.85, 0.85) * _band(v, 0.22, 0.42)
    back = _params(rng, n, -0.45, -0.1)
    top = back + (0.15 - back) * np.clip((0.8 - u) / 1.6, 0, 1)  # lower towards the toe
    upper = _band(u, -0.8, 0.8) * _band(v, top, 0.3)
    laces = _band(u, -0.3, 0.3) * (np.sin(u * 30) > 0.5) * _band(v, top, top + 0.12)
    return _union(sole, upper * (1 - _params(rng, n, 0, 0.4) * laces))


def _bag(u, v, rng, n):
    w = _params(rng, n, 0.45, 0.8)
    top = _params(rng, n, -0.35, 0.0)
    body = _band(u, -w, w) * _band(v, top, _params(rng, n, 0.55, 0.8))
    radius = _params(rng, n, 0.2, 0.4)
    ring = _disk(u, v, 0.0, top, radius) * (1 - _disk(u, v, 0.0, top, radius - 0.09))
    handle = ring * (v < top) * _chance(rng, n, 0.6)
    flap = 1 - _params(rng, n, 0, 0.5) * _band(v, top + 0.2, top + 0.26)
    return _union(body * flap, handle)


def _ankle_boot(u, v, rng, n):
    shaft_front = _params(rng, n, -0.1, 0.2)
    shaft = _band(u, shaft_front, 0.75) * _band(v, _params(rng, n, -0.85, -0.3), 0.4)
    foot = _band(u, -0.85, 0.75) * _band(v, _params(rng, n, -0.1, 0.15), 0.4)
    toe = _disk(u, v, -0.7, 0.25, 0.17)
    sole = 1 - _params(rng, n, 0, 0.5) * _band(v, 0.32, 0.4)
    return _union(shaft, foot, toe) * sole


_SHAPES = [
    _tshirt,  # 0 T-shirt/top
    _trouser,  # 1 Trouser
    _pullover,  # 2 Pullover
    _dress,  # 3 Dress
    _coat,  # 4 Coat
    _sandal,  # 5 Sandal
    _shirt,  # 6 Shirt
    _sneaker,  # 7 Sneaker
    _bag,  # 8 Bag
    _ankle_boot,  # 9 Ankle boot
]


def make_standin(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`n` stand-in images (uint8, (n, 28, 28)) and their labels (uint8, (n,)), balanced classes.

    Each image is a silhouette of its class, moved, scaled, rotated and shaded at random, with noise.
    """
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % NUM_CLASSES).astype(np.uint8)
    images = np.zeros((n, SIDE, SIDE), dtype=np.float32)
    centres = ((np.arange(SIDE) + 0.5) * _PIXEL - 1.0).astype(np.float32)
    y, x = np.meshgrid(centres, centres, indexing="ij")
    for label, shape in enumerate(_SHAPES):
        index = np.flatnonzero(labels == label)
        m = len(index)
        angle = _params(rng, m, -0.2, 0.2)
        dx, dy = _params(rng, m, -0.15, 0.15), _params(rng, m, -0.12, 0.12)
        sx, sy = _params(rng, m, 0.75, 1.15), _params(rng, m, 0.8, 1.12)
        u = (np.cos(angle) * (x - dx) + np.sin(angle) * (y - dy)) / sx
        v = (-np.sin(angle) * (x - dx) + np.cos(angle) * (y - dy)) / sy
        mask = shape(u, v, rng, m)
        shading = 1 + _params(rng, m, -0.4, 0.4) * v + _params(rng, m, -0.3, 0.3) * u
        images[index] = mask * _params(rng, m, 0.3, 1.0) * shading
    blurred = images.copy()  # a 3 x 3 box blur, applied to some of the images
    blurred[:, 1:-1, 1:-1] = (
        sum(
            images[:, 1 + i : SIDE - 1 + i, 1 + j : SIDE - 1 + j]
            for i in (-1, 0, 1)
            for j in (-1, 0, 1)
        )
        / 9
    )
    images = np.where(_chance(rng, n, 0.3) > 0, blurred, images)
    noise = rng.standard_normal(size=images.shape, dtype=np.float32)
    # cloth texture, background
    images += np.where(images > 0.02, 0.08 * noise, 0.03 * np.abs(noise))
    return np.clip(images * 255 + 0.5, 0, 255).astype(np.uint8), labels


def write_standin(
    root: Path | str, seed: int = STANDIN_SEED, sizes: dict[str, int] | None = None
) -> Path:
    """Write the stand-in under root/FashionMNIST/raw/ (unless it is there already); return root.

    Like torchvision's download, it leaves both the .gz files and their uncompressed contents. Every
    file is written whole and then renamed, so two processes that run this at once cannot see half a
    file. A manifest, written last, says which version, seed and sizes made the files.
    """
    root = Path(root)
    sizes = dict(STANDIN_SIZES if sizes is None else sizes)
    raw = root / "FashionMNIST" / "raw"
    manifest = {"version": STANDIN_VERSION, "seed": seed, "sizes": sizes}
    manifest_path = root / STANDIN_MANIFEST
    if has_files(root) and manifest_path.is_file():
        if json.loads(manifest_path.read_text()) == manifest:
            return root
    for offset, split in enumerate(SPLITS):
        images, labels = make_standin(sizes[split], seed + offset)
        for name, array in zip(file_names(split), (images, labels), strict=True):
            write_idx(raw / f"{name}.gz", array)
            write_idx(raw / name, array)
    _write_atomically(manifest_path, json.dumps(manifest).encode())
    return root
