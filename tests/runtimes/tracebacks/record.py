"""Record what CPython 3.9-3.13 print for app.py's errors into expected.json (the
oracle of test_python_errors.py's traceback test; run where those interpreters are,
e.g. pyenv's: ``python record.py ~/.pyenv/versions/3.*/bin/python``)."""

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(interpreters: list[str]) -> None:
    out = {}
    for exe in interpreters:
        version = subprocess.run([exe, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                 capture_output=True, text=True, check=True).stdout.strip()
        if not (3, 9) <= tuple(map(int, version.split("."))) <= (3, 13):
            continue
        texts = json.loads(subprocess.run([exe, str(HERE / "app.py")], capture_output=True, text=True,
                                          check=True).stdout)
        out[f"python{version}"] = [t.replace(str(HERE / "app.py"), "/var/task/app.py") for t in texts]
    (HERE / "expected.json").write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
