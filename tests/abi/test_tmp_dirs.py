"""Instances' /tmp folders: a killed process's are removed by the next process, a live
one's never (wasmhost/abi/tmp_dirs.py)."""

import os
import signal
import subprocess
import sys

from wasmhost.abi import tmp_dirs

# a process that makes an instance folder, writes into it, says where, and waits
CHILD = """
import sys, time
from wasmhost.abi import tmp_dirs
d = tmp_dirs.instance_dir()
open(d + "/data", "w").write("x" * 1000)
print(d, flush=True)
time.sleep(60)
"""


def _spawn(tmp_path):
    env = dict(os.environ, TMPDIR=str(tmp_path))
    return subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True, env=env)


def _folder(proc):
    line = proc.stdout.readline().strip()
    assert line, "the child made no folder"
    return proc, line


def _start(tmp_path):
    return _folder(_spawn(tmp_path))


def test_a_killed_process_folders_are_swept_a_live_ones_kept(tmp_path):
    live, live_dir = _start(tmp_path)
    dead, dead_dir = _start(tmp_path)
    try:
        dead.send_signal(signal.SIGKILL)
        dead.wait()
        assert os.path.exists(dead_dir + "/data")  # nothing removed it: it was killed
        removed = tmp_dirs.sweep(tmp_path)
        assert [str(p) for p in removed] == [os.path.dirname(dead_dir)]
        assert not os.path.exists(os.path.dirname(dead_dir))
        assert os.path.exists(live_dir + "/data")  # its process holds the lock
        assert tmp_dirs.sweep(tmp_path) == []
    finally:
        live.kill()
        live.wait()
    assert [str(p) for p in tmp_dirs.sweep(tmp_path)] == [os.path.dirname(live_dir)]


def test_the_next_process_sweeps_on_its_first_instance(tmp_path):
    dead, dead_dir = _start(tmp_path)
    dead.kill()
    dead.wait()
    env = dict(os.environ, TMPDIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", "from wasmhost.abi import tmp_dirs; print(tmp_dirs.instance_dir())"],
                         env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert not os.path.exists(os.path.dirname(dead_dir))
    assert not os.path.exists(out)  # and a process that exits normally removes its own
    assert list(tmp_path.iterdir()) == []


def test_processes_starting_together_keep_their_folders(tmp_path):
    """Workers start at once, each sweeping while the others make their folders: a
    folder is locked before a sweep can see it."""
    started = [_folder(p) for p in [_spawn(tmp_path) for _ in range(6)]]  # all running before any is read
    try:
        assert all(os.path.exists(d + "/data") for _, d in started)
        assert tmp_dirs.sweep(tmp_path) == []
    finally:
        for proc, _ in started:
            proc.kill()
            proc.wait()


def test_a_folder_without_a_lock_is_left_alone(tmp_path):
    (tmp_path / "wasmhost-new").mkdir()  # no lock file: not a process's folder
    (tmp_path / "wasmhost-other-thing").write_text("not ours")
    assert tmp_dirs.sweep(tmp_path) == []
    assert (tmp_path / "wasmhost-new").is_dir() and (tmp_path / "wasmhost-other-thing").is_file()


def test_instances_of_one_process_share_its_folder():
    a, b = tmp_dirs.instance_dir(), tmp_dirs.instance_dir()
    try:
        assert a != b and os.path.dirname(a) == os.path.dirname(b) == str(tmp_dirs.process_root())
        assert os.listdir(a) == []
    finally:
        os.rmdir(a)
        os.rmdir(b)
