"""Lambda's Invoke for the fast path and aiohttp's route: ``invoke_answer`` (what the
fast path calls) and ``invoke_reply`` (awaited) live in lambda_model/invoke.py."""

from .lambda_model.invoke import invoke_answer, invoke_reply

__all__ = ["invoke_answer", "invoke_reply"]
