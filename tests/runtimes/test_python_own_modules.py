"""A function's own module named like a standard-library one: on Lambda the code comes
first on sys.path, so ``import secrets`` finds the code's ``secrets.py`` unless Lambda's
runtime had imported the standard library's already (``json``, ``logging``: sys.modules
answers first). The sandbox's snapshot pre-imports many more (``secrets``, ``queue``,
``calendar``, ``csv`` ...), which answered instead of the code's."""

import textwrap

import pytest

from wasmhost import FunctionConfig

pytest.importorskip("wasmtime.component")


def test_the_codes_own_modules_come_first_as_on_lambda(python_host, tmp_path):
    (tmp_path / "secrets.py").write_text("def get_secret(name):\n    return f'secret of {name}'\n")
    (tmp_path / "queue.py").write_text("TABLE = 'jobs'\n")
    (tmp_path / "calendar").mkdir()
    (tmp_path / "calendar" / "__init__.py").write_text("from .events import upcoming\n")
    (tmp_path / "calendar" / "events.py").write_text("def upcoming():\n    return ['standup']\n")
    (tmp_path / "json.py").write_text("raise RuntimeError('never imported: Lambda had imported json already')\n")
    (tmp_path / "csv.py").write_text(textwrap.dedent('''
        import json, secrets, queue, calendar
        import uuid  # a standard-library module the code does not shadow: the runtime's

        def handler(event, context):
            return {"secret": secrets.get_secret("db"), "table": queue.TABLE, "events": calendar.upcoming(),
                    "json": json.dumps({"a": 1}), "uuid": len(str(uuid.uuid4()))}
    '''))
    python_host.deploy("own", tmp_path, FunctionConfig(handler="csv.handler"))  # the handler's module itself
    assert python_host.invoke("own", {}).json() == {"secret": "secret of db", "table": "jobs", "events": ["standup"],
                                                     "json": '{"a": 1}', "uuid": 36}
