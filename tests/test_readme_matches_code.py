"""The README matches the code: every command and option the CLI has is documented,
every ``wasmhost …`` command the README shows parses, and the FunctionConfig table
names every field (tests/test_readme.py runs the walkthrough itself)."""

from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path

import pytest

from wasmhost.cli.main import parser

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def commands() -> dict[str, argparse.ArgumentParser]:
    sub = next(a for a in parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def test_every_command_is_in_the_table():
    section = README.split("## The command line", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `(\w+)|, `(\w+)", section, re.M))
    names = {n for pair in listed for n in pair if n}
    assert sorted(set(commands()) - names) == []


def test_every_option_is_documented():
    missing = []
    for name, p in commands().items():
        for action in p._actions:
            if action.help == argparse.SUPPRESS:
                continue
            for opt in action.option_strings:
                if opt.startswith("--") and opt != "--help" and not re.search(rf"(?<![\w-]){opt}(?![\w-])", README):
                    missing.append(f"{name} {opt}")
    assert missing == []


def shown() -> list[str]:
    """``wasmhost …`` lines of the README's shell blocks, comments and continuations resolved."""
    out, lang, block = [], None, []
    for line in README.splitlines():
        if line.startswith("```"):
            if lang is None:
                lang, block = line[3:].strip(), []
                continue
            if lang in ("", "sh", "bash", "console"):
                for cmd in "\n".join(block).replace("\\\n", " ").splitlines():
                    m = re.match(r"(?:\S*/)?wasmhost (.*)", cmd.split("  #")[0].strip())
                    if m:
                        out.append(m.group(1))
            lang = None
        elif lang is not None:
            block.append(line)
    return out


@pytest.mark.parametrize("line", shown())
def test_every_command_the_readme_shows_parses(line, monkeypatch):
    monkeypatch.setattr("wasmhost.cli.serve._bucket_arg", str)  # the README's directories are the reader's
    try:
        parser().parse_args(shlex.split(line))
    except SystemExit as e:
        pytest.fail(f"`wasmhost {line}` does not parse (exit {e.code})")


def test_every_function_config_field_is_in_its_table():
    import dataclasses

    from wasmhost import FunctionConfig
    section = README.split("### FunctionConfig", 1)[1].split("\n### ", 1)[0]
    assert [f.name for f in dataclasses.fields(FunctionConfig) if f"`{f.name}`" not in section] == []
