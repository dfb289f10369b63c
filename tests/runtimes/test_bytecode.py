"""Shared package folders compiled to the sandbox's bytecode: on a thread of its own,
waited for only by a deploy whose code imports the folder."""

import os
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
    # bytecode past 64 KiB (botocore's credentials.py, ssl.py): the sandbox writes it in
    # pieces, and a .pyc written by one short write was dropped (compiled again by every instance)
    (folder / "big.py").write_text("".join(f"def f{i}(a, b):\n    return a * {i} + b - {i}\n" for i in range(2500)))
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
    big = list((folder / "__pycache__").glob("big.*.pyc"))
    assert len(big) == 1 and big[0].stat().st_size > 65536


def test_a_functions_code_compiles_after_its_first_instance_and_later_instances_load_it(tmp_path):
    """The staged code is compiled once, in the background, after the deploy's instance
    is up; the next instances answer the same, from bytecode; CodeSize stays the
    size of the code as sent."""
    pytest.importorskip("componentize_py", reason="componentize-py builds the Python runtime (.ci/run installs it)")
    from wasmhost import Host
    code = tmp_path / "fn"
    (code / "helpers").mkdir(parents=True)
    (code / "helpers" / "__init__.py").write_text("def shout(s):\n    return s.upper()\n")
    (code / "app.py").write_text(
        "import sys\nfrom helpers import shout\n"
        "def handler(event, context):\n"
        "    spec = sys.modules['helpers'].__spec__\n"
        "    return {'word': shout(event['word']), 'cached': spec.cached}\n")
    with Host(tmp_path / "data") as host:
        before = host.deploy("f", code)
        staged = [f for f in bytecode._jobs if f.parent == host._code_root()]
        assert len(staged) == 1  # scheduled once the deploy's instance had loaded the code
        bytecode._jobs[staged[0]].join()
        assert (staged[0] / bytecode.MARK).exists()
        pyc = list((staged[0] / "helpers" / "__pycache__").glob("__init__.*.pyc"))
        assert len(pyc) == 1 and sys.implementation.cache_tag not in pyc[0].name
        # the staged source now says lower(), with the same size and time: only an instance
        # that loads the bytecode (validated by those two) still answers upper()
        init = staged[0] / "helpers" / "__init__.py"
        st = init.stat()
        init.write_text(init.read_text().replace("upper", "lower"))
        os.utime(init, ns=(st.st_atime_ns, st.st_mtime_ns))
        fn = host._functions["f"]
        fn.pool.prewarm(2)  # a second instance, made after the compile
        assert len(fn.pool.free) == 2
        answers = [host.invoke("f", {"word": "hi"}).value for _ in range(2)]
        assert answers[0] == answers[1] == {"word": "HI", "cached": f"/var/task/helpers/__pycache__/{pyc[0].name}"}
        init.write_text(init.read_text().replace("lower", "upper"))
        os.utime(init, ns=(st.st_atime_ns, st.st_mtime_ns))
        again = host.deploy("g", code)  # the same content: staged and compiled already, nothing scheduled
        assert again.size == before.size == sum(f.stat().st_size for f in code.rglob("*") if f.is_file())
        assert [f for f in bytecode._jobs if f.parent == host._code_root()] == staged
