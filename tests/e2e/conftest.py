"""Fixtures for end-to-end tests: private data dirs whose embedded clusters are removed after."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from godkend.store import embedded


@pytest.fixture
def private_folder() -> Iterator[Path]:
    """A fresh 0700 folder, like a home folder; removed after the test."""
    folder = Path(tempfile.mkdtemp(prefix="gk-e2e-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def data_dir(private_folder: Path) -> Iterator[Path]:
    """A GODKEND_DATA_DIR that does not exist yet; its server and cluster are destroyed after."""
    path = private_folder / "data"
    try:
        yield path
    finally:
        embedded.destroy(path)


@pytest.fixture(scope="module")
def _module_data_dir() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="gk-e2e-"))
    try:
        yield folder / "data"
    finally:
        embedded.destroy(folder / "data")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def shared_data_dir(_module_data_dir: Path) -> Iterator[Path]:
    """A data dir shared by the tests of a module, so initdb runs once; no server runs at start."""
    embedded.stop(_module_data_dir)
    try:
        yield _module_data_dir
    finally:
        embedded.stop(_module_data_dir)
