from django.apps import AppConfig


class StrategyConfig(AppConfig):
    name = "keryx.strategy"
    label = "strategy"

    def ready(self) -> None:
        # The analytics report shows the goals; it must not import this app (it is built on
        # analytics), so the section is registered here.
        from keryx.analytics.reports import sections
        from keryx.strategy.goals import goal_json, goals_of
        from keryx.strategy.pdf import report_goals_section

        sections.add("goals",
                     lambda workspace, _when: [goal_json(g) for g in goals_of(workspace)],
                     report_goals_section)
