from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("books", "0002_sort_and_search_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="CatalogueVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("token", models.CharField(max_length=32)),
            ],
        ),
    ]
