"""The searches saved with an alert webhook before alerts were wired get their default spike
rule (keryx.listening.alerts.sync_search_webhook makes it for searches saved later)."""

import secrets

from django.db import migrations
from django.db.models import Max


def forwards(apps, schema_editor):
    SavedSearch = apps.get_model("listening", "SavedSearch")
    AlertRule = apps.get_model("listening", "AlertRule")
    Match = apps.get_model("listening", "Match")
    for search in SavedSearch.objects.exclude(alert_webhook_url=""):
        if AlertRule.objects.filter(search=search, from_search=True).exists():
            continue
        latest = Match.objects.filter(search=search).aggregate(m=Max("pk"))["m"] or 0
        AlertRule.objects.create(
            search=search, kind="spike", from_search=True, in_app=True,
            webhook_url=search.alert_webhook_url, language="en",
            created_by_id=search.created_by_id,
            webhook_secret={"secret": secrets.token_hex(32)}, last_match_id=latest)


class Migration(migrations.Migration):

    dependencies = [
        ("listening", "0002_alerts"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
