from django.apps import AppConfig
from django.core import checks


class CoversConfig(AppConfig):
    name = "covers"
    verbose_name = "Cover images"

    def ready(self) -> None:
        from django_cleanup.signals import cleanup_pre_delete

        from . import checks as storage_checks
        from . import deletes

        cleanup_pre_delete.connect(deletes.defer_cleanup_delete, dispatch_uid="covers.deletes")
        cleanup_pre_delete.connect(deletes.delete_variants, dispatch_uid="covers.deletes.variants")

        checks.register(storage_checks.check_storage_configuration, checks.Tags.files)
        checks.register(storage_checks.check_media_on_shared_storage, checks.Tags.files, deploy=True)
