from typing import Any

from django.apps import AppConfig


def record_last_login(sender: Any, user: Any, **kwargs: Any) -> None:
    """Django's update_last_login saves the user, which would add a row to their history at
    every sign-in with nothing to show (the login time is not part of the history)."""
    from django.utils import timezone

    user.last_login = timezone.now()
    type(user)._default_manager.filter(pk=user.pk).update(last_login=user.last_login)


class AccountsConfig(AppConfig):
    name = "reciprocity.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from reciprocity.accounts import audit  # noqa: F401  (connects the history receiver)

        user_logged_in.disconnect(dispatch_uid="update_last_login")
        user_logged_in.connect(record_last_login, dispatch_uid="update_last_login")
