"""Authentication by username or mobile number."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Q


class UsernameOrMobileBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or password is None:
            return None
        user_model = get_user_model()
        user = user_model.objects.filter(Q(username=username) | Q(mobile=username)).order_by("id").first()
        if user is None:
            user_model().set_password(password)  # same cost as a real check: no timing oracle
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


def axes_username(request, credentials=None) -> str | None:
    """The account a login attempt is for, as django-axes counts failures (AXES_USERNAME_CALLABLE).

    A mobile number is mapped to its account's username, so the lockout after repeated failures
    covers the account whichever identifier is typed (otherwise each identifier got its own 5 tries).
    """
    if credentials:
        value = credentials.get("username")
    else:
        value = getattr(request, "data", request.POST).get("username")
    if not value:
        return value
    username = get_user_model().objects.filter(mobile=value).values_list("username", flat=True).first()
    return username or value
