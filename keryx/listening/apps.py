from django.apps import AppConfig


class ListeningConfig(AppConfig):
    name = "keryx.listening"
    label = "listening"

    def ready(self) -> None:
        # The analytics report shows a listening page; the reports must not import this app
        # (it is built on them), so the section is registered here.
        from keryx.analytics.reports import sections
        from keryx.listening.report import pdf_page, section, write_csv

        sections.add("listening", section, pdf_page, csv=write_csv)
