"""The runner our moto-style suites share: each script defines test_* functions in the style of
moto's server-mode tests and ends with `sys.exit(runner.main(globals()))`. Python puts the
script's own directory first on sys.path, so `import runner` finds this file."""

import os
import sys
import traceback


def main(namespace):
    """Runs the test_* functions of namespace in definition order (or only those named on the
    command line), prints PASS/FAIL lines with tracebacks, and returns the exit status."""
    if os.environ.get("TEST_SERVER_MODE", "").lower() != "true":
        sys.exit("run with TEST_SERVER_MODE=true and TEST_SERVER_MODE_ENDPOINT=http://127.0.0.1:PORT")
    tests = [(n, f) for n, f in list(namespace.items()) if n.startswith("test_") and callable(f)]
    only = sys.argv[1:]
    selected = [(n, f) for n, f in tests if not only or n in only]
    failed = 0
    for name, fn in selected:
        try:
            fn()
            print("PASS", name)
        except Exception:
            failed += 1
            print("FAIL", name)
            traceback.print_exc()
    print("%d passed, %d failed" % (len(selected) - failed, failed))
    return 1 if failed else 0
