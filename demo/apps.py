from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo and benchmark organisations: sits above every other app and imports from them."""

    name = "demo"
    verbose_name = "Demo data"
