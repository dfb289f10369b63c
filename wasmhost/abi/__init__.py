"""Guest ABIs: how the host talks to each kind of guest module."""

from __future__ import annotations

import wasmtime

from ..capabilities import Grants
from ..errors import DeployError
from .base import ABI, Guest
from .core import CoreABI, is_core
from .sandbox import Sandbox
from .wasi_command import CommandABI, is_command


def for_module(engine, ticker, module: wasmtime.Module, memory_mb: int, env: dict[str, str],
               max_output: int, grants: Grants) -> ABI:
    """The ABI a module speaks, checked completely; ``DeployError`` says what is wrong."""
    if is_core(module):
        return CoreABI(engine, module, memory_mb, env, ticker, grants)
    if is_command(module):
        return CommandABI(engine, module, memory_mb, env, max_output, grants)
    names = ", ".join(sorted(e.name for e in module.exports)) or "none"
    raise DeployError("module is neither a wasmhost core module (exports memory, wasmhost_alloc, "
                      "wasmhost_handle) nor a WASI command (exports _start); its exports: " + names)


__all__ = ["ABI", "CommandABI", "CoreABI", "Guest", "Sandbox", "for_module"]
