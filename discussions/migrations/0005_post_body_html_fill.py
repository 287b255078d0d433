"""Store the HTML of every existing post (discussions.rendering), so pages stop rendering it.

Not atomic: each batch commits on its own, so on a large table the migration holds no long
transaction, and if it is interrupted a second run renders only the rows still without HTML.
"""

from django.db import migrations


def posts_html_fill(apps, schema_editor):
    from discussions.rendering import posts_html_render

    posts_html_render(
        apps.get_model("discussions", "Post"),
        apps.get_model("discussions", "Mention"),
        missing_only=True,
    )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("discussions", "0004_post_body_html"),
    ]

    operations = [
        migrations.RunPython(posts_html_fill, migrations.RunPython.noop, elidable=True),
    ]
