from django.db import migrations, models


class Migration(migrations.Migration):
    """The composer preferences named for what they do, not for the network that offered them
    first: which networks take them is the providers' declaration (RequestExtras)."""

    dependencies = [
        ("contacts", "0001_initial"),
    ]

    operations = [
        migrations.RenameField(
            model_name="composersettings",
            old_name="instagram_tags_in_first_comment",
            new_name="closing_tags_in_first_comment",
        ),
        migrations.RenameField(
            model_name="composersettings",
            old_name="bluesky_link_cards",
            new_name="link_cards",
        ),
        migrations.AlterField(
            model_name="composersettings",
            name="closing_tags_in_first_comment",
            field=models.BooleanField(
                default=False, verbose_name="Move the closing hashtags into the first comment"
            ),
        ),
        migrations.AlterField(
            model_name="composersettings",
            name="link_cards",
            field=models.BooleanField(
                default=True, verbose_name="Show a preview card for the first link"
            ),
        ),
    ]
