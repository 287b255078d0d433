import uuid

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal.ratelimit import get_ip
from django.conf import settings
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # People join by invitation; OPEN_SIGNUP=true opens the sign-up page.
        return settings.OPEN_SIGNUP

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Send allauth's mails (codes, verification, reset) through the platform's outbox."""
        from notifications.outbox import outbox_enqueue

        message = self.render_mail(template_prefix, email, context)
        html = next(
            (body for body, mime in getattr(message, "alternatives", []) if mime == "text/html"), ""
        )
        outbox_enqueue(
            key=f"allauth:{template_prefix}:{uuid.uuid4()}",
            to_email=email,
            subject=message.subject,
            body_text=message.body,
            body_html=html,
        )

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials) -> str:
        """The failed sign-in limit ("login_failed", five in five minutes) counts per address
        *and* client IP: allauth counts per address alone, so five wrong passwords typed by a
        stranger locked the owner out too. The per-IP limit still bounds each client's guesses.
        `get_ip` is the address allauth's own per-IP limits count (an IPv6 address by its /64).
        """
        return f"{super()._get_login_attempts_cache_key(request, **credentials)}:{get_ip(request)}"
