from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("analytics", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="AppBudget",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True,
                                           serialize=False, verbose_name="ID")),
                ("network", models.CharField(max_length=40, unique=True)),
                ("window_start", models.FloatField(default=0.0)),
                ("used", models.PositiveIntegerField(default=0)),
                ("paused_until", models.DateTimeField(blank=True, null=True)),
                ("pause_reason", models.TextField(blank=True)),
            ],
        ),
    ]
