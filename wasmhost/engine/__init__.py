"""The engine layer: Wasmtime configuration, the epoch ticker, the artifact cache, raw ffi."""

from .cache import ArtifactCache
from .engine import Engine, EngineSettings
from .ticker import EpochTicker

__all__ = ["ArtifactCache", "Engine", "EngineSettings", "EpochTicker"]
