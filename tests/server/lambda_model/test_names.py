import pytest

from wasmhost.server.errors import ApiError
from wasmhost.server.lambda_model import names


@pytest.mark.parametrize("raw, qualifier, want", [
    ("f", None, ("f", None)),
    ("f:live", None, ("f", "live")),
    ("f", "3", ("f", "3")),
    ("000000000000:function:f:3", None, ("f", "3")),
    ("arn:aws:lambda:us-east-1:000000000000:function:f", "$LATEST", ("f", "$LATEST")),
    ("f", "", ("f", None)),
])
def test_function_names(raw, qualifier, want):
    assert names.parse_function(raw, qualifier) == want


@pytest.mark.parametrize("raw, qualifier", [("", None), ("a:b:c:d", None), ("f", "¹"), ("f:x y", None),
                                            ("arn:aws:s3:::bucket", None), ("ü", None), ("f" * 65, None)])
def test_bad_function_names(raw, qualifier):
    with pytest.raises(ApiError) as e:
        names.parse_function(raw, qualifier)
    assert e.value.status == 400


def test_conflicting_qualifiers():
    with pytest.raises(ApiError, match="does not match"):
        names.parse_function("f:1", "2")


def test_arns_and_versions():
    assert names.function_arn("eu-west-1", "f", "$LATEST") == "arn:aws:lambda:eu-west-1:000000000000:function:f"
    assert names.function_arn("eu-west-1", "f", "2").endswith(":function:f:2")
    assert names.parse_layer_version_arn(names.layer_arn("us-east-1", "lib", 4)) == ("lib", 4)
    assert names.is_version("12") and not names.is_version("¹") and not names.is_version("1a")
