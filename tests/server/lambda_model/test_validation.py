"""The validation engine against the model's tables, with AWS's codes and messages."""

import pytest

from wasmhost.server.errors import ApiError
from wasmhost.server.lambda_model import model
from wasmhost.server.lambda_model.validation import Validator

V = Validator(model.load()["shapes"])
BASE = {"FunctionName": "f", "Role": "arn:aws:iam::000000000000:role/r", "Code": {"ZipFile": "AA=="}}


def error(shape: str, params: dict) -> ApiError:
    with pytest.raises(ApiError) as e:
        V.check(shape, params)
    return e.value


def test_valid_request_passes():
    V.check("CreateFunctionRequest", {**BASE, "Timeout": 900, "MemorySize": 4096, "Architectures": ["arm64"],
                                      "Environment": {"Variables": {"GREETING": "hi"}}, "Tags": {"ä-b": "c"}})


def test_ranges_use_this_hosts_limits_and_aws_wording():
    e = error("CreateFunctionRequest", {**BASE, "Timeout": 901})
    assert (e.status, e.code) == (400, "ValidationException")
    assert e.message == ("1 validation error detected: Value '901' at 'timeout' failed to satisfy constraint: "
                         "Member must have value less than or equal to 900")
    e = error("CreateFunctionRequest", {**BASE, "MemorySize": 8192})
    assert "at 'memorySize'" in e.message and "less than or equal to 4096" in e.message  # 32-bit Wasm
    e = error("CreateFunctionRequest", {**BASE, "MemorySize": 64, "Timeout": 0})
    assert e.message.startswith("2 validation errors detected: ")


def test_missing_members_and_enums():
    e = error("CreateFunctionRequest", {"FunctionName": "f"})
    assert "Value null at 'role' failed to satisfy constraint: Member must not be null" in e.message
    assert "at 'code'" in e.message
    e = error("CreateFunctionRequest", {**BASE, "Architectures": ["sparc"]})
    assert "at 'architectures.1.member'" in e.message and "enum value set: [x86_64, arm64]" in e.message


@pytest.mark.parametrize("params", [{"Timeout": True}, {"Timeout": 3.0}, {"Timeout": "3"}, {"Code": 5},
                                    {"Tags": 5}, {"Environment": {"Variables": []}}, {"Publish": 1},
                                    {"Layers": "arn"}])
def test_wrong_types_are_serialization_errors(params):
    e = error("CreateFunctionRequest", {**BASE, **params})
    assert (e.status, e.code) == (400, "SerializationException")


def test_patterns_are_ascii_and_long_values_are_cut_in_messages():
    e = error("GetFunctionRequest", {"FunctionName": "f", "Qualifier": "¹"})
    assert "at 'qualifier'" in e.message
    e = error("UpdateFunctionConfigurationRequest", {"FunctionName": "f", "Description": "x" * 5000})
    assert len(e.message) < 400 and "x..." in e.message


def test_every_model_pattern_compiles_or_is_listed():
    unchecked = {s["pattern"] for s in V.shapes.values() if "pattern" in s and V.pattern(s["pattern"]) is None}
    assert unchecked == set()
