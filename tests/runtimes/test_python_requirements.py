"""``installable``: which lines of a function's requirements.txt are handed to pip.

Lambda never reads requirements.txt, so a line naming a local folder the package does not
hold (a monorepo's ``../shared``) must not fail a deploy; every other line reaches pip as
written (an included file's path made absolute: pip runs elsewhere)."""

import logging

from wasmhost.runtimes.python import content_digest, installable


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def test_missing_local_paths_are_left_out_and_logged(tmp_path, caplog):
    req = tmp_path / "requirements.txt"
    req.write_text("requests==2.32.3\n../shared/src/lib\n-e ./missing\nfile:../gone\n--editable=./missing\n"
                   "-e./missing\nboto3  # the SDK\n")
    with caplog.at_level(logging.WARNING, logger="wasmhost"):
        kept = lines(installable(req)[0])
    assert kept == ["requests==2.32.3", "boto3  # the SDK"]
    assert len([r for r in caplog.records if "left out" in r.getMessage()]) == 5


def test_local_paths_the_package_holds_are_kept_with_their_extras(tmp_path):
    (tmp_path / "lib").mkdir()
    req = tmp_path / "requirements.txt"
    req.write_text("-e ./lib\n./lib[extra]\n./lib[extra] ; python_version >= '3.8'\n--editable=./lib\n")
    assert lines(installable(req)[0]) == ["-e ./lib", "./lib[extra]", "./lib[extra] ; python_version >= '3.8'",
                                       "--editable=./lib"]


def test_included_files_are_named_by_their_full_path(tmp_path):
    (tmp_path / "base.txt").write_text("requests\n")
    req = tmp_path / "requirements.txt"
    req.write_text("-r base.txt\n--requirement=base.txt\n-c missing.txt\n")
    assert lines(installable(req)[0]) == [f"-r {tmp_path / 'base.txt'}", f"--requirement {tmp_path / 'base.txt'}",
                                       f"-c {tmp_path / 'missing.txt'}"]


def test_what_the_local_lines_name_is_part_of_the_cache_key(tmp_path):
    """Two packages with the same requirements.txt but another ./lib (or a changed -r
    file) must not share one installed folder."""
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "m.py").write_text("A = 1\n")
    (tmp_path / "base.txt").write_text("six\n")
    req = tmp_path / "requirements.txt"
    req.write_text("-e ./lib\n-r base.txt\nrequests\n")
    _, local = installable(req)
    assert local == [tmp_path / "lib", tmp_path / "base.txt"]
    before = content_digest(local, tmp_path)
    (tmp_path / "lib" / "m.py").write_text("A = 2\n")
    changed = content_digest(local, tmp_path)
    (tmp_path / "base.txt").write_text("six==1.16.0\n")
    assert len({before, changed, content_digest(local, tmp_path)}) == 3
