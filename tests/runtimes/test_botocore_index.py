"""The sandbox's ``os`` for botocore's loader (guest_sdk/python/runtime/wasmhost_botocore.py)
answers from a folder's listing as ``os`` answers from the folder itself."""

import json
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "guest_sdk" / "python" / "runtime"))
import wasmhost_botocore  # noqa: E402


@pytest.fixture
def indexed(tmp_path):
    data = tmp_path / "data"
    (data / "s3" / "2006-03-01").mkdir(parents=True)
    (data / "s3" / "2006-03-01" / "service-2.json.gz").write_text("{}")
    (data / "sqs" / "2012-11-05").mkdir(parents=True)
    (data / "endpoints.json").write_text("{}")
    listing = {str(d.relative_to(data)): sorted(os.listdir(d)) for d in [data, *data.rglob("*")] if d.is_dir()}
    (data / wasmhost_botocore.INDEX).write_text(json.dumps(listing))

    class Loaders:  # what _index_loader reads of botocore.loaders
        BOTOCORE_ROOT = str(tmp_path)
        os = os
    wasmhost_botocore._index_loader(Loaders)
    return data, Loaders.os


def test_the_listing_answers_as_the_folder_does(indexed, tmp_path):
    data, ios = indexed
    assert type(ios).__name__ == "_IndexedOS"
    for rel in (".", "s3", "s3/2006-03-01", "sqs/2012-11-05"):
        assert ios.listdir(str(data / rel)) == sorted(set(os.listdir(data / rel)) - {wasmhost_botocore.INDEX})
    for rel in ("s3", "s3/2006-03-01/service-2.json.gz", "s3/2006-03-01/service-2.json", "endpoints.json",
                "nope", "nope/deeper", "s3/", "./sqs"):
        path = str(data / rel)
        assert (ios.path.isdir(path), ios.path.isfile(path), ios.path.exists(path)) == \
            (os.path.isdir(path), os.path.isfile(path), os.path.exists(path)), rel
    elsewhere = tmp_path / "other"
    elsewhere.mkdir()
    (elsewhere / "f").write_text("")
    assert ios.listdir(str(elsewhere)) == ["f"] and ios.path.isfile(str(elsewhere / "f"))  # os itself
    assert ios.path.join("a", "b") == "a/b" and ios.pathsep == os.pathsep


def test_a_botocore_without_a_listing_keeps_os(tmp_path):
    class Loaders:
        BOTOCORE_ROOT = str(tmp_path)
        os = os
    wasmhost_botocore._index_loader(Loaders)
    assert Loaders.os is os
