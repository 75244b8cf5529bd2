import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from config.static import require_static_manifest

MANIFEST_STORAGE = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}


@pytest.fixture
def production_static(settings, tmp_path):
    """Hashed, compressed static files as in production, from a small source folder."""
    source = tmp_path / "static-src"
    (source / "css").mkdir(parents=True)
    (source / "css" / "site.css").write_text("body { color: #222; }\n" * 50)
    settings.STATICFILES_DIRS = [source]
    settings.STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder"]
    settings.STATIC_ROOT = tmp_path / "staticfiles"
    settings.STORAGES = {**settings.STORAGES, "staticfiles": MANIFEST_STORAGE}
    return settings.STATIC_ROOT


def test_app_refuses_to_start_when_collectstatic_was_not_run(production_static):
    with pytest.raises(ImproperlyConfigured, match=r"manifest .*staticfiles\.json is missing.*collectstatic --noinput"):
        require_static_manifest()


def test_collected_static_files_have_hashed_and_compressed_names(production_static):
    call_command("collectstatic", "--noinput", verbosity=0)
    require_static_manifest()  # no error now
    names = sorted(path.name for path in (production_static / "css").iterdir())
    hashed = next(name for name in names if name.startswith("site.") and name.endswith(".css") and name != "site.css")
    assert f"{hashed}.gz" in names


def test_development_storage_needs_no_manifest(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "nothing-here"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    require_static_manifest()


def test_source_maps_are_collected_and_served_but_not_compressed(production_static):
    """Compressing the API docs' and Bootstrap's source maps was most of collectstatic's time,
    for files only a browser's developer tools fetch."""
    js = production_static.parent / "static-src" / "js"
    js.mkdir()
    (js / "app.js").write_text("console.log('app');\n" * 50 + "//# sourceMappingURL=app.js.map\n")
    (js / "app.js.map").write_text('{"version": 3, "sources": ["app.ts"], "mappings": "AAAA"}' + " " * 2000)
    call_command("collectstatic", "--noinput", verbosity=0)
    names = {path.name for path in (production_static / "js").iterdir()}
    script = next(name for name in names if name.startswith("app.") and name.endswith(".js") and name != "app.js")
    source_map = next(name for name in names if name.endswith(".map") and name != "app.js.map")
    assert f"{script}.gz" in names  # the script a page loads is still compressed
    assert source_map in (production_static / "js" / script).read_text()  # and points at the hashed map
    assert not any(name.startswith(source_map + ".") for name in names)  # which is kept as it is
