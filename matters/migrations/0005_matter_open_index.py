from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("matters", "0004_step_ledger_event"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="matter",
            index=models.Index(
                condition=models.Q(("closed_at__isnull", True)),
                fields=["agency", "section"],
                name="matter_open",
            ),
        ),
    ]
