"""Run Django with the production settings in a subprocess, under a chosen environment.

The test settings change a few values for speed; what production does is only seen by
loading `config.settings` itself, with nothing from the developer's environment.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

from dotenv import dotenv_values

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / ".env.production.example"


def bare_environment(**overrides):
    """An environment with no Django, AWS or database variable but `overrides` (None unsets)."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_READ_DOT_ENV": "false",
        # Nobody's own AWS configuration may reach the app under test.
        "AWS_CONFIG_FILE": "/nonexistent/bookstore-tests/aws-config",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/bookstore-tests/aws-credentials",
        **overrides,
    }
    return {name: value for name, value in env.items() if value is not None}


def example_environment(**overrides):
    """.env.production.example as a deployment would set it, plus `overrides` (None unsets)."""
    return bare_environment(**{**dotenv_values(EXAMPLE), **overrides})


def run_python(code, env):
    return subprocess.run(  # noqa: S603 (this interpreter, our own code)
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def settings_under(env, *names):
    """The named settings as production would have them under `env` (JSON-able values)."""
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n, None) for n in {list(names)!r}}}, default=str))"
    )
    result = run_python(code, env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])
