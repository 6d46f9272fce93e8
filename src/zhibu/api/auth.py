"""API authentication: the page session (with CSRF) or a personal token (Authorization: Bearer zb_...)."""

from django.utils import timezone
from ninja.security import HttpBearer, django_auth

from zhibu.accounts.models import ApiToken


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        if not token.startswith(ApiToken.PREFIX):
            return None
        found = ApiToken.objects.select_related("user").filter(key_digest=ApiToken.digest(token)).first()
        if found is None or not found.is_usable or not found.user.is_active:
            return None
        now = timezone.now()
        if found.last_used_at is None or (now - found.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.user
        return found.user


AUTH = [TokenAuth(), django_auth]
