"""Publishing and launching, checked offline: launch links, exported notebooks, Binder, workflows."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

from nnbook import publishing
from tests.booklib import HTML, ROOT, chapter_id, chapters, code_cells, needs_build

EXPORTED = ROOT / publishing.EXPORTED
BIN = Path(sys.executable).parent
URL, OWNER, NAME = publishing.repository(ROOT)


def page_of(path: Path) -> str:
    return path.relative_to(ROOT).with_suffix("").as_posix()


def links(html: str, host: str) -> list[str]:
    return re.findall(rf'href="(https://{re.escape(host)}/[^"]+)"', html)


def built(page: str) -> str:
    path = HTML / f"{page}.html"
    if not path.is_file():
        pytest.fail("no built book in _build/html: run python3 tasks.py build first")
    return path.read_text(encoding="utf-8")


@needs_build
@pytest.mark.parametrize("path", chapters(), ids=chapter_id)
def test_colab_button_opens_the_exported_notebook(path):
    (url,) = links(built(page_of(path)), "colab.research.google.com")
    expected = f"/github/{OWNER}/{NAME}/blob/{publishing.NOTEBOOKS_BRANCH}/{page_of(path)}.ipynb"
    assert urlparse(url).path == expected
    exported = EXPORTED / f"{page_of(path)}.ipynb"
    assert exported.is_file(), (
        f"the Colab link targets {exported.name}, which the export did not write"
    )


@needs_build
@pytest.mark.parametrize("path", chapters(), ids=chapter_id)
def test_binder_button_opens_a_file_in_the_repository(path):
    (url,) = links(built(page_of(path)), "mybinder.org")
    parts = urlparse(url)
    assert parts.path == f"/v2/gh/{OWNER}/{NAME}/main"
    target = parts.query.removeprefix("urlpath=tree/")
    assert (ROOT / target).is_file(), f"Binder would open {target}, which is not in the repository"


@needs_build
@pytest.mark.parametrize("path", chapters(), ids=chapter_id)
def test_page_offers_its_notebook_for_download(path):
    html = built(page_of(path))
    href = f"../_sources/{page_of(path)}.ipynb"
    assert f'href="{href}"' in html
    assert (HTML / "book" / href).resolve().is_file()


@needs_build
@pytest.mark.parametrize("path", chapters(), ids=chapter_id)
def test_exported_notebook_installs_the_helper_package_first(path):
    notebook = json.loads((EXPORTED / f"{page_of(path)}.ipynb").read_text(encoding="utf-8"))
    first, *rest = notebook["cells"]
    assert first["metadata"]["tags"] == [publishing.INSTALL_CELL_TAG]
    assert f'%pip install --quiet "nnbook @ git+{URL}@main"' in first["source"]
    sources = [c["source"] for c in rest if c["cell_type"] == "code"]
    assert sources == [c.source for c in code_cells(path)], "the chapter's code cells, unchanged"
    assert any(o for c in rest if c["cell_type"] == "code" for o in c["outputs"]), "executed"


@needs_build
def test_exported_notebooks_run_under_nbval_in_ci_and_before_publishing():
    """`tasks.py notebooks` runs _build/notebooks under nbval; CI and the publish workflow call it."""
    sys.path.insert(0, str(ROOT))
    import tasks

    assert tasks.NOTEBOOK_PATHS == ["_build/notebooks"]
    for runner in (".ci/run", ".github/workflows/ci.yml", ".github/workflows/publish.yml"):
        assert "python3 tasks.py notebooks" in (ROOT / runner).read_text(encoding="utf-8"), runner
    assert sorted(p.name for p in EXPORTED.rglob("*.ipynb")) == sorted(
        f"{p.stem}.ipynb" for p in chapters()
    )


TINY_PAGE = """---
jupytext:
  text_representation: {extension: .md, format_name: myst}
kernelspec: {display_name: Python 3, language: python, name: python3}
---
# Tiny

```{code-cell} ipython3
print(1 + 1)
```

```{code-cell} ipython3
:tags: [skip-execution, nbval-skip]
x = ...
```
"""


def test_a_test_run_goes_into_the_execution_cache_the_build_reads(tmp_path):
    """The test command's nbval run fills the build's cache (conftest.py -> store_execution)."""
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "tiny.md").write_text(TINY_PAGE, encoding="utf-8")
    output = {"output_type": "stream", "name": "stdout", "text": "2\n"}
    language = {"name": "python", "pygments_lexer": "ipython3"}
    store = publishing.store_execution
    # Sources that are not the page's are not stored.
    assert not store(
        "book/tiny", ["print(2)", "x = ..."], [[output], None], language, 1.5, tmp_path
    )
    with pytest.raises(LookupError, match=r"book/tiny\.md has no executed copy"):
        publishing.executed_notebook("book/tiny", tmp_path)
    assert store(
        "book/tiny", ["print(1 + 1)", "x = ..."], [[output], None], language, 1.5, tmp_path
    )
    notebook = publishing.executed_notebook("book/tiny", tmp_path)
    ran, skipped = (c for c in notebook["cells"] if c["cell_type"] == "code")
    assert ran["outputs"] == [output] and ran["execution_count"] == 1
    assert skipped["outputs"] == [] and skipped["execution_count"] is None
    assert notebook["metadata"]["language_info"] == language


@needs_build
def test_status_page_lists_every_chapter_with_its_environment():
    html = built("book/execution")
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", html, flags=re.S)
    text = [re.sub(r"<[^>]+>", " ", row) for row in rows[1:]]
    assert len(text) == len(chapters()), "one row per executed chapter"
    import torch  # here, not at the top: collecting this file should not cost a torch import

    for row in text:
        assert torch.__version__ in row, row
        assert re.search(r"\b(cpu|cuda|mps|xpu)\b", row), row
        assert "passed" in row and re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", row), row


def test_repository_url_is_set_in_one_place():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout
    mentions = [
        name
        for name in tracked.split()
        if (ROOT / name).is_file()
        and URL in (ROOT / name).read_text(encoding="utf-8", errors="ignore")
    ]
    assert mentions == ["_config.yml"], f"the repository URL is spelled out in {mentions}"
    assert "repository.url" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_binder_installs_cpu_torch_and_opens_chapters_with_jupytext():
    requirements = (ROOT / "binder" / "requirements.txt").read_text(encoding="utf-8")
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in requirements
    main = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    for package in ("torch", "torchvision"):
        pinned = re.search(rf"^{package}==(\d+\.\d+)", main, flags=re.M).group(1)
        assert re.search(rf"^{package}=={re.escape(pinned)}\.\*$", requirements, flags=re.M), (
            package
        )
    assert re.search(r"^jupytext", requirements, flags=re.M)
    post_build = ROOT / "binder" / "postBuild"
    assert os.access(post_build, os.X_OK), "binder/postBuild must be executable"
    assert "pip install --no-deps --no-cache-dir -e ." in post_build.read_text(encoding="utf-8")
    viewers = json.loads((ROOT / "binder" / "overrides.json").read_text(encoding="utf-8"))
    default = viewers["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"]
    assert default == {"markdown": "Jupytext Notebook", "myst": "Jupytext Notebook"}


def test_thebe_live_code_uses_binder():
    config = publishing.book_config(ROOT)["launch_buttons"]
    assert config["thebe"] is True and config["binderhub_url"] == "https://mybinder.org"


def workflows() -> list[Path]:
    return sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def test_workflows_pass_actionlint():
    result = subprocess.run(
        [str(BIN / "actionlint"), "-no-color"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflows_pass_zizmor():
    result = subprocess.run(
        [str(BIN / "zizmor"), "--offline", "--no-progress", ".github/workflows"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout


@pytest.mark.parametrize("workflow", workflows(), ids=lambda p: p.name)
def test_workflow_permissions_and_pins(workflow):
    spec = yaml.safe_load(workflow.read_text(encoding="utf-8"))
    assert "permissions" in spec, "set least-privilege permissions at the top"
    for job in spec["jobs"].values():
        for step in job.get("steps", []):
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), step["uses"]


def test_publish_workflow_deploys_pages_and_pushes_notebooks():
    spec = yaml.safe_load(
        (ROOT / ".github" / "workflows" / "publish.yml").read_text(encoding="utf-8")
    )
    assert spec[True]["push"]["branches"] == ["main"]  # YAML reads the key `on` as True
    uses = [s.get("uses", "") for job in spec["jobs"].values() for s in job["steps"]]
    assert any(u.startswith("actions/upload-pages-artifact@") for u in uses)
    assert any(u.startswith("actions/deploy-pages@") for u in uses)
    commands = " ".join(s.get("run", "") for job in spec["jobs"].values() for s in job["steps"])
    assert "python3 tasks.py build" in commands and "push -q --force" in commands
    assert publishing.NOTEBOOKS_BRANCH in commands
    cache = next(
        s for s in spec["jobs"]["build"]["steps"] if s.get("name") == "Cache the executed chapters"
    )
    assert "hashFiles('book/**'" in cache["with"]["key"], "the cache key changes with the sources"


def test_link_check_offline_says_it_was_skipped():
    result = subprocess.run(
        [sys.executable, str(ROOT / "tasks.py"), "linkcheck"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NNBOOK_LINKCHECK_HOST": "unreachable.invalid"},
    )
    assert result.returncode == 0
    assert "external link check skipped: unreachable.invalid cannot be reached" in result.stdout
