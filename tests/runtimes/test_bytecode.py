"""Shared package folders compiled to the sandbox's bytecode: on a thread of its own,
waited for only by a deploy whose code imports the folder."""

import sys

import pytest

from wasmhost.runtimes import bytecode


def test_imports_finds_a_name_in_the_code_and_its_vendored_packages(tmp_path):
    (tmp_path / "app.py").write_text("import json\n")
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "lib.py").write_text("from botocore.config import Config\n")
    assert bytecode.imports(tmp_path, ("boto3", "botocore"))
    assert not bytecode.imports(tmp_path, ("boto3",))


def test_a_folder_compiles_in_the_background_once_and_a_waiting_deploy_finds_it_done(tmp_path):
    pytest.importorskip("componentize_py", reason="componentize-py builds the Python runtime (.ci/run installs it)")
    from wasmhost import Host
    from wasmhost.capabilities import Grants
    from wasmhost.runtimes import python
    folder = tmp_path / "pkgs"
    (folder / "greet").mkdir(parents=True)
    (folder / "greet" / "__init__.py").write_text("WORD = 'hi'\n")
    with Host(tmp_path / "data") as host:
        component, _ = host._runtime_component(python.runtime_path())
        args = (folder, "/var/task/.deps", host.engine, component, python.stdlib_dir(), Grants(function="t"))
        bytecode.compile_folder(*args, wait=False)  # returns at once, the compile runs on
        job = bytecode._jobs[folder]
        bytecode.compile_folder(*args)  # a second caller waits for the same job, no second one
        assert bytecode._jobs[folder] is job and not job.is_alive()
    assert (folder / bytecode.MARK).exists()
    # the sandbox's CPython wrote it (its cache tag, not the host's)
    names = [p.name for p in (folder / "greet" / "__pycache__").iterdir()]
    assert len(names) == 1 and names[0].endswith(".pyc") and sys.implementation.cache_tag not in names[0]
