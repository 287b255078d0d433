from django.http import HttpRequest


def unread_notifications(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Lazy so pages that never show the badge do not pay for the query.
    return {
        "unread_notification_count": lambda: user.notifications.filter(read_at__isnull=True).count()
    }
