import runpy
from pathlib import Path

from dotenv import dotenv_values

CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


def load_conf(monkeypatch, **environment):
    for name in ("GUNICORN_BIND", "PORT", "FORWARDED_ALLOW_IPS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DJANGO_READ_DOT_ENV", "false")
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONF))


def test_gunicorn_listens_on_loopback_only_by_default(monkeypatch):
    assert load_conf(monkeypatch)["bind"] == "127.0.0.1:8000"


def test_gunicorn_trusts_forwarded_headers_from_the_local_proxy_only(monkeypatch):
    assert load_conf(monkeypatch)["forwarded_allow_ips"] == "127.0.0.1,::1"


def test_the_production_example_binds_gunicorn_to_loopback_behind_the_proxy():
    example = dotenv_values(CONF.parent.parent / ".env.production.example")
    assert example["GUNICORN_BIND"].startswith("127.0.0.1:")
    assert example["DJANGO_TRUSTED_PROXIES"] == "127.0.0.1,::1"
