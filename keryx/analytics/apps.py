from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "keryx.analytics"
    label = "analytics"

    def ready(self) -> None:
        # Publishing sits below analytics and tells it about new posts by a signal.
        from keryx.analytics.tracking import on_targets_published
        from keryx.publishing.signals import targets_published

        targets_published.connect(on_targets_published, dispatch_uid="analytics-track")
        # Each reading keeps the post's latest counts and its per-day gains up to date.
        from django.db.models.signals import post_save

        from keryx.analytics.models import MetricSnapshot
        from keryx.analytics.rollup import on_snapshot_saved

        post_save.connect(on_snapshot_saved, sender=MetricSnapshot,
                          dispatch_uid="analytics-rollup")
