import unittest

from config.test_runner import AppTestRunner


def suite_for(tmp_path, monkeypatch, source):
    (tmp_path / "test_probe.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    return AppTestRunner(verbosity=0).build_suite([str(tmp_path)])


def run(suite):
    result = unittest.TestResult()
    suite.run(result)
    return result


def test_module_needing_an_uninstalled_test_package_is_skipped_with_its_name(tmp_path, monkeypatch):
    result = run(suite_for(tmp_path, monkeypatch, "import zz_not_installed_anywhere\n"))
    assert result.errors == []
    assert [reason for _, reason in result.skipped] == [
        "needs zz_not_installed_anywhere, a test dependency (make test installs it)"
    ]


def test_module_missing_one_of_our_own_modules_stays_an_error(tmp_path, monkeypatch):
    result = run(suite_for(tmp_path, monkeypatch, "import books.no_such_module\n"))
    assert result.skipped == []
    assert len(result.errors) == 1
