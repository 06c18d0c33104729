from typing import Any

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend

from reciprocity.accounts.models import User


class AuthenticationBackend(AllauthBackend):
    """Allauth's sign-in by username or email. The signed-in user is loaded with their firm,
    which nearly every request reads (visibility, the firm's two-factor rule)."""

    def get_user(self, user_id: Any) -> User | None:
        user = User.objects.select_related("firm").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
