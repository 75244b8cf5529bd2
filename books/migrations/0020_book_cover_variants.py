from django.db import migrations, models


class Migration(migrations.Migration):
    # Numbered 0020 so it does not collide with other branches' 0006+; `manage.py
    # cover_variants` fills it for covers stored before it.
    dependencies = [
        ("books", "0007_importjob"),
    ]

    operations = [
        migrations.AddField(
            model_name="book",
            name="cover_variants",
            field=models.JSONField(blank=True, default=dict, editable=False),
        ),
    ]
