"""Kept so existing imports (``from .service import Service, ACCOUNT``) work: the
control plane now lives in ``server/lambda_model/``."""

from .lambda_model import ACCOUNT, Registry, Service
from .lambda_model.functions import RUNTIMES
from .lambda_model.packaging import is_source_runtime

__all__ = ["ACCOUNT", "RUNTIMES", "Registry", "Service", "is_source_runtime"]
