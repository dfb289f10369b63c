"""Lambda's Invoke for the fast path and aiohttp's route: ``invoke_reply`` (the
signature the fast path calls) lives in lambda_model/invoke.py."""

from .lambda_model.invoke import invoke_reply

__all__ = ["invoke_reply"]
