from tests.production import example_environment, settings_under
from tests.servers import manage


def test_check_deploy_is_clean_under_the_example_production_environment():
    result = manage(example_environment(), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_flags_a_production_environment_without_https_settings():
    env = example_environment(DJANGO_SECURE_SSL_REDIRECT=None, DJANGO_SECURE_HSTS_SECONDS=None)
    result = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert "security.W004" in result.stderr and "security.W008" in result.stderr


def test_example_environment_is_secure_behind_a_tls_proxy():
    settings = settings_under(
        example_environment(),
        "DEBUG",
        "SECURE_SSL_REDIRECT",
        "SECURE_PROXY_SSL_HEADER",
        "SECURE_HSTS_SECONDS",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "CSRF_TRUSTED_ORIGINS",
        "ALLAUTH_TRUSTED_PROXY_COUNT",
        "LOG_FORMAT",
    )
    assert settings == {
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "SECURE_HSTS_SECONDS": 31536000,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "CSRF_TRUSTED_ORIGINS": ["https://books.example.com"],
        "ALLAUTH_TRUSTED_PROXY_COUNT": 1,
        "LOG_FORMAT": "json",
    }


def test_proxy_header_is_not_trusted_unless_the_deployment_says_so():
    settings = settings_under(example_environment(DJANGO_BEHIND_PROXY=None), "SECURE_PROXY_SSL_HEADER")
    assert settings["SECURE_PROXY_SSL_HEADER"] is None


def test_content_security_policy_lets_covers_load_from_the_bucket_or_the_cdn():
    bucket = settings_under(example_environment(), "CONTENT_SECURITY_POLICY")
    cdn = settings_under(example_environment(AWS_S3_CUSTOM_DOMAIN="cdn.example.com"), "CONTENT_SECURITY_POLICY")
    bucket_directives = bucket["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]
    assert "https://*.amazonaws.com" in bucket_directives["img-src"]
    assert bucket_directives["script-src"] == ["'self'"]
    assert "https://cdn.example.com" in cdn["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["img-src"]


def test_production_refuses_to_start_without_a_secret_key():
    result = manage(example_environment(DJANGO_SECRET_KEY=None), "check")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr
