"""What the deployer hands the host: every function's environment starts from the
server's (AWS_ENDPOINT_URL_S3), and the function's own variables win."""

from wasmhost import Host
from wasmhost.server.lambda_model import Registry
from wasmhost.server.lambda_model.deployer import Deployer


def test_server_environment_beneath_the_functions(tmp_path):
    with Host(tmp_path / "data") as host:
        registry = Registry(host.data_dir)
        d = Deployer(host, registry, 10)
        d.base_env["AWS_ENDPOINT_URL_S3"] = "http://127.0.0.1:9000"
        doc = {"MemorySize": 128, "Timeout": 3, "Environment": {"Variables": {"BUCKET": "photos"}}}
        assert d.config(doc, "$LATEST", {}).env == {"AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9000",
                                                    "BUCKET": "photos"}
        doc["Environment"]["Variables"]["AWS_ENDPOINT_URL_S3"] = "http://elsewhere:4566"
        assert d.config(doc, "$LATEST", {}).env["AWS_ENDPOINT_URL_S3"] == "http://elsewhere:4566"
        registry.close()
