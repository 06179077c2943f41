"""Atomic writes (mlserving_lab.atomic): a crash never leaves a half-written file."""

import os

import pytest

from mlserving_lab.atomic import atomic_path, atomic_write_bytes, atomic_write_text


def test_atomic_write_replaces_and_leaves_no_temp_files(tmp_path):
    target = tmp_path / "out" / "grades.csv"
    atomic_write_text(target, "a,b\n1,2\n")
    atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new"
    assert os.listdir(target.parent) == ["grades.csv"]


def test_atomic_path_keeps_old_file_on_error(tmp_path):
    target = tmp_path / "model.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_bytes(b"half-writ")
        raise RuntimeError("killed mid-write")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["model.bin"]
