"""The trimmed service model matches the installed botocore's, and every operation
this host implements exists in it."""

from wasmhost.server.lambda_model import model, operations


def test_trimmed_model_is_botocores():
    # fails after a botocore upgrade: run `python -m wasmhost.server.lambda_model.model`
    assert model.load() == model.from_botocore()


def test_every_handler_is_a_modeled_operation():
    names = set(model.load()["operations"])
    assert set(operations.HANDLERS) <= names
    assert len(operations.HANDLERS) >= 46
