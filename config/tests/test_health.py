import pytest

from tests.servers import closed_port


def test_healthz_answers_without_touching_the_database(client):
    # No django_db mark: any database access would raise here.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]
    assert client.head("/healthz").status_code == 200


@pytest.mark.django_db
def test_readyz_runs_one_trivial_query(client, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok", "storage": "ok"}
    assert client.head("/readyz").status_code == 200


@pytest.mark.django_db
def test_readyz_makes_no_request_to_s3(client, s3_storage):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["storage"] == "ok"
    assert s3_storage.requests == []


@pytest.mark.django_db
def test_readyz_reports_a_dead_cache_as_degraded_and_keeps_the_server_in_rotation(client, settings):
    # Pages render from the database and sessions are read from it without Redis: taking
    # every server out of the load balancer at once would turn a slower site into no site.
    dead = {
        "BACKEND": "config.cache_backends.ResilientRedisCache",
        "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
        "OPTIONS": {"socket_connect_timeout": 1},
    }
    settings.CACHES = {"default": dead, "pages": dead}
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "database": "ok", "cache": "degraded", "storage": "ok"}


def test_plain_http_probes_are_answered_not_redirected(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/books/").status_code == 301
