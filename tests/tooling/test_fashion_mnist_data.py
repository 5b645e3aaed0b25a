"""nnbook.data.fashion_mnist finds the real files, or writes a stand-in that torchvision reads; offline."""

import gzip
import json
import socket
import struct

import numpy as np
import pytest
import torch

from nnbook.data import fashion_mnist as fm

SMALL = {"train": 60, "test": 20}


@pytest.fixture(scope="module")
def torchvision():
    """Imported by the tests that use it: at the top, it would add seconds to every collection."""
    import torchvision.datasets.mnist

    return torchvision


def test_idx_headers_have_the_mnist_magic_numbers_and_big_endian_sizes():
    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    labels = np.array([3, 7], dtype=np.uint8)
    assert fm.idx_bytes(images)[:16] == struct.pack(">4i", 2051, 2, 28, 28)
    assert fm.idx_bytes(images)[:4] == b"\x00\x00\x08\x03"
    assert fm.idx_bytes(labels) == b"\x00\x00\x08\x01" + b"\x00\x00\x00\x02" + bytes(
        [3, 7]
    )
    assert len(fm.idx_bytes(images)) == 16 + images.size
    assert (fm.IMAGE_MAGIC, fm.LABEL_MAGIC) == (2051, 2049)


def test_idx_writer_rejects_what_the_format_cannot_hold():
    with pytest.raises(TypeError, match="uint8"):
        fm.idx_bytes(np.zeros((2, 28, 28), dtype=np.float32))
    with pytest.raises(ValueError, match="2 dimensions"):
        fm.idx_bytes(np.zeros((2, 28), dtype=np.uint8))


def test_torchvision_reads_back_what_write_idx_writes(torchvision, tmp_path):
    images, labels = fm.make_standin(30, seed=1)
    fm.write_idx(tmp_path / "images", images)
    fm.write_idx(tmp_path / "labels", labels)
    gz = fm.write_idx(tmp_path / "images.gz", images)
    assert torch.equal(
        torchvision.datasets.mnist.read_image_file(str(tmp_path / "images")),
        torch.from_numpy(images),
    )
    assert torch.equal(
        torchvision.datasets.mnist.read_label_file(str(tmp_path / "labels")),
        torch.from_numpy(labels).long(),
    )
    assert gzip.decompress(gz.read_bytes()) == (tmp_path / "images").read_bytes()
    assert not list(tmp_path.glob(".*.tmp")), "no temporary file is left behind"


def test_standin_images_are_deterministic_balanced_and_varied():
    images, labels = fm.make_standin(200, seed=5)
    assert images.shape == (200, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (200,) and labels.dtype == np.uint8
    assert np.bincount(labels, minlength=10).tolist() == [20] * 10
    again_images, again_labels = fm.make_standin(200, seed=5)
    assert np.array_equal(images, again_images) and np.array_equal(labels, again_labels)
    other, _ = fm.make_standin(200, seed=6)
    assert not np.array_equal(images, other)
    for c in range(10):
        of_class = images[labels == c].astype(np.float64)
        assert of_class.mean() > 10, f"class {c} draws something"
        assert of_class.std(axis=0).mean() > 5, f"the images of class {c} vary"
    means = np.stack([images[labels == c].mean(axis=0) for c in range(10)]).reshape(
        10, -1
    )
    distances = np.linalg.norm(means[:, None] - means[None], axis=-1)
    assert (distances + np.eye(10) * 1e9).min() > 100, (
        "no two classes look the same on average"
    )


def test_write_standin_makes_files_that_the_torchvision_loader_reads(
    torchvision, tmp_path
):
    root = fm.write_standin(tmp_path / "standin", sizes=SMALL)
    raw = root / "FashionMNIST" / "raw"
    for name in fm.all_file_names():
        assert (raw / name).is_file() and (raw / f"{name}.gz").is_file()
    train = torchvision.datasets.FashionMNIST(
        root, train=True, download=False, transform=torchvision.transforms.ToTensor()
    )
    test = torchvision.datasets.FashionMNIST(root, train=False, download=False)
    assert (len(train), len(test)) == (SMALL["train"], SMALL["test"])
    image, label = train[0]
    assert tuple(image.shape) == (1, 28, 28) and image.dtype == torch.float32
    assert 0 <= image.min() and image.max() <= 1
    assert isinstance(label, int) and 0 <= label < 10
    assert train.classes[0] == "T-shirt/top" and len(train.classes) == 10
    images, labels = fm.make_standin(SMALL["train"], fm.STANDIN_SEED)
    assert torch.equal(train.data, torch.from_numpy(images))
    assert torch.equal(train.targets, torch.from_numpy(labels).long())
    manifest = json.loads((root / fm.STANDIN_MANIFEST).read_text())
    assert manifest == {
        "version": fm.STANDIN_VERSION,
        "seed": fm.STANDIN_SEED,
        "sizes": SMALL,
    }


def test_write_standin_reuses_files_and_rewrites_them_when_the_recipe_changes(
    torchvision, tmp_path
):
    root = fm.write_standin(tmp_path, sizes=SMALL)
    images_file = root / "FashionMNIST" / "raw" / "train-images-idx3-ubyte"
    first = images_file.stat().st_mtime_ns
    fm.write_standin(tmp_path, sizes=SMALL)
    assert images_file.stat().st_mtime_ns == first, "the same recipe reuses the files"
    fm.write_standin(tmp_path, sizes={"train": 30, "test": 20})
    assert torchvision.datasets.mnist.read_image_file(str(images_file)).shape == (
        30,
        28,
        28,
    ), "a new recipe rewrites them"


def test_offline_the_stand_in_goes_to_its_own_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("NNBOOK_DATA", str(tmp_path))
    monkeypatch.setattr(fm, "STANDIN_SIZES", SMALL)
    assert fm.data_root() == tmp_path
    location = fm.locate_fashion_mnist(download=False)
    assert location == fm.FashionMNISTLocation(tmp_path / "standin", real=False)
    assert "stand-in" in location.description
    assert not (tmp_path / "FashionMNIST").exists(), (
        "nothing is written where real files belong"
    )


def no_download(*args, **kwargs):
    raise AssertionError("present files must not be downloaded again")


@pytest.fixture
def real_like(tmp_path, monkeypatch):
    """Files shaped like the real ones, with .gz files whose MD5s count as the real ones.

    The real splits are shrunk to SMALL, so the files are small; nothing is downloaded.
    """
    monkeypatch.setattr(fm, "REAL_SIZES", SMALL)
    monkeypatch.setattr(fm, "STANDIN_SIZES", SMALL)
    monkeypatch.setattr(fm, "try_download", no_download)
    raw = tmp_path / "FashionMNIST" / "raw"
    md5s = {}
    for offset, split in enumerate(fm.SPLITS):
        images, labels = fm.make_standin(SMALL[split], seed=3 + offset)
        for name, array in zip(fm.file_names(split), (images, labels), strict=True):
            fm.write_idx(raw / name, array)
            md5s[f"{name}.gz"] = fm._md5(fm.write_idx(raw / f"{name}.gz", array))
    monkeypatch.setattr(fm, "GZ_MD5", md5s)
    return raw


def test_real_files_are_used_when_present(real_like, tmp_path):
    location = fm.locate_fashion_mnist(tmp_path)
    assert location == fm.FashionMNISTLocation(tmp_path, real=True)
    assert location.description == "the real FashionMNIST data"
    assert not (tmp_path / "standin").exists()


def test_real_files_without_their_gz_files_are_used_but_marked_unchecksummed(
    real_like, tmp_path
):
    for gz in real_like.glob("*.gz"):
        gz.unlink()
    location = fm.locate_fashion_mnist(tmp_path)
    assert location.root == tmp_path and location.real
    assert location.description == (
        "the real FashionMNIST data (not checksummed: its .gz files are missing)"
    )


def _truncate(path):
    path.write_bytes(path.read_bytes()[:-100])


def _empty(path):
    path.write_bytes(b"")


def _swap_magic(path):
    data = path.read_bytes()
    path.write_bytes(struct.pack(">i", 2049 if data[3] == 3 else 2051) + data[4:])


def _random_values(path, high=256):
    """Keep the header and the size, replace the values (so the .gz no longer matches)."""
    data = path.read_bytes()
    header = 16 if "images" in path.name else 8
    noise = np.random.default_rng(0).integers(0, high, len(data) - header, np.uint8)
    path.write_bytes(data[:header] + noise.tobytes())


def _labels_out_of_range(path):
    data = bytearray(path.read_bytes())
    data[-1] = 10
    path.write_bytes(bytes(data))
    (path.parent / f"{path.name}.gz").unlink()  # no .gz to compare with


def _other_gz(path):
    gz = path.parent / f"{path.name}.gz"
    gz.write_bytes(gz.read_bytes() + b"\0")


@pytest.mark.parametrize(
    "name, spoil, reason",
    [
        (
            "train-images-idx3-ubyte",
            _truncate,
            "has 46956 bytes, but the real file has 47056",
        ),
        ("t10k-labels-idx1-ubyte", _empty, "has 0 bytes, but the real file has 28"),
        ("train-labels-idx1-ubyte", _swap_magic, "does not start with the header"),
        ("t10k-images-idx3-ubyte", _random_values, "differs from the content of"),
        ("train-labels-idx1-ubyte", _labels_out_of_range, "holds labels above 9"),
        ("t10k-images-idx3-ubyte", _other_gz, ".gz` does not have the MD5"),
    ],
)
def test_a_wrong_file_gives_the_stand_in_with_a_note_that_names_it(
    real_like, tmp_path, name, spoil, reason
):
    spoil(real_like / name)
    location = fm.locate_fashion_mnist(tmp_path)
    assert location.root == tmp_path / "standin" and not location.real
    assert name in location.note and reason in location.note, location.note
    assert "delete that folder and run again" in location.note
    assert location.description.startswith("a generated stand-in")
    assert location.note in location.description and "\n" not in location.description
    assert (real_like / name).exists(), "the reader's files are left alone"


def test_a_data_folder_that_is_a_file_stops_with_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(fm, "try_download", no_download)
    monkeypatch.setattr(fm, "write_standin", no_download)
    a_file = tmp_path / "data.bin"
    a_file.write_bytes(b"not a folder")
    monkeypatch.setenv("NNBOOK_DATA", str(a_file))
    with pytest.raises(fm.FashionMNISTDataError) as caught:
        fm.locate_fashion_mnist()
    message = str(caught.value)
    assert message == (
        f"NNBOOK_DATA={a_file} is not a folder: {a_file} is a file; point NNBOOK_DATA "
        "at a folder, or unset it to use ~/.cache/nnbook-data"
    )
    assert caught.value._render_traceback_() == [f"FashionMNISTDataError: {message}"]
    with pytest.raises(fm.FashionMNISTDataError, match=r"data\.bin is a file"):
        fm.locate_fashion_mnist(a_file / "below")
    assert a_file.read_bytes() == b"not a folder"


def test_an_unwritable_stand_in_folder_stops_with_one_line(tmp_path, monkeypatch):
    def refuse(root, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(root))

    monkeypatch.setattr(fm, "write_standin", refuse)
    with pytest.raises(fm.FashionMNISTDataError) as caught:
        fm.locate_fashion_mnist(tmp_path, download=False)
    assert str(caught.value) == (
        f"cannot write the FashionMNIST stand-in to {tmp_path / 'standin'} "
        "(PermissionError: Permission denied); point NNBOOK_DATA at a folder you can "
        "write to"
    )


def test_a_failed_download_falls_back_and_restores_the_socket_timeout(
    torchvision, tmp_path, monkeypatch
):
    calls = []

    class Offline:
        def __init__(self, root, train, download):
            calls.append((root, train, download, socket.getdefaulttimeout()))
            raise RuntimeError("Error downloading train-images-idx3-ubyte.gz")

    monkeypatch.setattr(torchvision.datasets, "FashionMNIST", Offline)
    monkeypatch.setattr(fm, "STANDIN_SIZES", SMALL)
    before = socket.getdefaulttimeout()
    location = fm.locate_fashion_mnist(tmp_path)
    assert calls == [(tmp_path, True, True, 10.0)], (
        "one download attempt, with a short timeout"
    )
    assert socket.getdefaulttimeout() == before
    assert location == fm.FashionMNISTLocation(tmp_path / "standin", real=False)


def test_a_successful_download_is_used(tmp_path, monkeypatch):
    def fake_download(root, timeout=10.0):
        # files in the real place, as a download leaves them
        fm.write_standin(root, sizes=SMALL)
        (root / fm.STANDIN_MANIFEST).unlink()
        raw = root / "FashionMNIST" / "raw"
        monkeypatch.setattr(fm, "GZ_MD5", {n: fm._md5(raw / n) for n in fm.GZ_MD5})
        return True

    monkeypatch.setattr(fm, "try_download", fake_download)
    monkeypatch.setattr(fm, "REAL_SIZES", SMALL)
    assert fm.locate_fashion_mnist(tmp_path) == fm.FashionMNISTLocation(
        tmp_path, real=True
    )
