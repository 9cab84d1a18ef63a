from django.apps import AppConfig


class LibraryConfig(AppConfig):
    name = "keryx.library"
    label = "library"

    def ready(self) -> None:
        # Registers the HEIC/HEIF opener with Pillow (when pillow-heif is installed), so
        # uploads from phones are accepted everywhere an image is opened.
        from keryx.library import adapt  # noqa: F401
