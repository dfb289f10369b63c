import pytest

from wasmhost.server.errors import ApiError
from wasmhost.server.lambda_model import strict_json


@pytest.mark.parametrize("raw", [b'{"a": NaN}', b'{"a": Infinity}', b"-Infinity", b"[1e999]", b"\xff",
                                 b"[" * 100_000, b"{"])
def test_not_strict_json_is_refused(raw):
    with pytest.raises(ApiError) as e:
        strict_json.check_payload(raw)
    assert (e.value.status, e.value.code) == (400, "InvalidRequestContentException")


def test_valid_payloads_pass_and_numbers_keep_their_value():
    assert strict_json.loads(b'{"a": [1, 2.5, -1e300, "\\u00e9"]}') == {"a": [1, 2.5, -1e300, "é"]}
    strict_json.check_payload(b'"\\ud800"')  # an Invoke payload goes to the function as sent


@pytest.mark.parametrize("raw", [b'{"a": "\\ud800"}', b'{"\\udfff": 1}', b"[]", b'"x"',
                                 b'{"a":' * 70 + b"1" + b"}" * 70])
def test_documents_are_objects_of_encodable_strings_and_bounded_depth(raw):
    with pytest.raises(ApiError) as e:
        strict_json.document(raw)
    assert e.value.code == "InvalidRequestContentException"
