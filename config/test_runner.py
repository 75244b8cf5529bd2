"""Django's test runner, for `manage.py test` on a machine with only the runtime dependencies."""

import logging
import re
import unittest
from pathlib import Path
from typing import Any

from django.conf import settings
from django.test.runner import DiscoverRunner


class AppTestRunner(DiscoverRunner):
    """Skips, naming the package, the pytest modules that need test-only dependencies.

    The suite's pytest modules sit beside the apps' Django TestCases; a reader who installed
    only `requirements.txt` should see the TestCases run, not thirty import errors.
    """

    def setup_test_environment(self, **kwargs: Any) -> None:
        super().setup_test_environment(**kwargs)
        # One JSON line per request is for production logs, not for a reader's test run.
        logging.getLogger("bookstore.request").setLevel(logging.WARNING)

    def build_suite(self, *args: Any, **kwargs: Any) -> unittest.TestSuite:
        suite = super().build_suite(*args, **kwargs)
        return self.test_suite(_skip_if_test_dependency_missing(test) for test in suite)


# unittest keeps only the traceback's text of a failed import.
MISSING_MODULE = re.compile(r"ModuleNotFoundError: No module named '([\w.]+)'")


def _skip_if_test_dependency_missing(test: Any) -> Any:
    failed_import = type(test).__name__ == "_FailedTest"  # unittest's private stand-in for a module
    missing = failed_import and MISSING_MODULE.search(str(test._exception))
    if not missing:
        return test
    package = missing.group(1).partition(".")[0]
    if (Path(settings.BASE_DIR) / package).exists():
        return test  # one of our own modules is missing: a real error
    reason = f"needs {package}, a test dependency (make test installs it)"
    skipped = unittest.skip(reason)(lambda self: None)
    module = {"__module__": test._testMethodName, "test_module": skipped}
    return type("NeedsTestDependencies", (unittest.TestCase,), module)("test_module")
