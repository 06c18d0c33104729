from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "reciprocity.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from reciprocity.accounts import audit  # noqa: F401  (connects the history receiver)
