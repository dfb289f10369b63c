"""``wasmhost serve --workers``: what a worker is started with (every option the
supervisor was given, less its own), and the option's checks."""

import sys

import pytest

from wasmhost.cli.main import parser
from wasmhost.cli.serve import _worker_command


def test_a_worker_gets_every_option_but_the_supervisors(tmp_path):
    args = parser().parse_args(["--data-dir", str(tmp_path), "serve", "--port", "9100", "--workers", "3",
                                "--access-key", "AK:SK", "--access-key", "AK2:SK2", "--no-fast-path",
                                "--bucket", f"cam={tmp_path}", "--retry-base-s", "0.5"])
    argv = _worker_command(args)
    assert argv[:4] == [sys.executable, "-m", "wasmhost.cli", "serve"]
    pairs = list(zip(argv, argv[1:]))
    assert ("--data-dir", str(tmp_path)) in pairs and ("--retry-base-s", "0.5") in pairs
    assert ("--access-key", "AK:SK") in pairs and ("--access-key", "AK2:SK2") in pairs
    assert ("--bucket", f"cam={tmp_path}") in pairs and "--no-fast-path" in argv
    assert "--workers" not in argv and "--port" not in argv  # the supervisor adds the port it holds


@pytest.mark.parametrize("bad", ["0", "x", "257"])
def test_a_bad_worker_count_is_a_usage_error(bad, capsys):
    with pytest.raises(SystemExit) as e:
        parser().parse_args(["serve", "--workers", bad])
    assert e.value.code == 2 and "--workers" in capsys.readouterr().err
