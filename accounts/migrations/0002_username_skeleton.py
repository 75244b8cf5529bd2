from django.db import migrations, models


def fill_skeletons(apps, schema_editor):
    """Existing members get their skeleton; a look-alike that already exists keeps none."""
    from accounts.usernames import skeleton

    User = apps.get_model("accounts", "CustomUser")
    seen = set()
    for user in User.objects.order_by("pk").only("pk", "username"):
        value = skeleton(user.username)
        if value not in seen:
            seen.add(value)
            User.objects.filter(pk=user.pk).update(username_skeleton=value)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="customuser",
            name="username_skeleton",
            field=models.TextField(editable=False, null=True, unique=True),
        ),
        migrations.RunPython(fill_skeletons, migrations.RunPython.noop),
    ]
