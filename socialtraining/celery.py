import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialtraining.settings")

app = Celery("socialtraining")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _make_broker_folders(sender: Celery, **kwargs) -> None:
    # The filesystem broker needs its folders before the first message.
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "processed_folder", "control_folder"):
        if options.get(key):
            os.makedirs(options[key], exist_ok=True)
