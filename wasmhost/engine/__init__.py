"""The engine layer: Wasmtime configuration, the epoch ticker, the artifact cache, raw ffi."""

from .cache import ArtifactCache
from .engine import Engine, EngineSettings
from .shared import shared_engine
from .ticker import EpochTicker

__all__ = ["ArtifactCache", "Engine", "EngineSettings", "EpochTicker", "shared_engine"]
