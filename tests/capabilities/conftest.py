import pytest


@pytest.fixture(scope="session")
def artifact_cache(tmp_path_factory):
    """One compiled-artifact cache for every host these tests start: the language
    runtimes are compiled once (seconds each), not once per module."""
    return tmp_path_factory.mktemp("artifacts")
