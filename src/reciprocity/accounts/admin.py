from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from reciprocity.accounts.models import ApiToken, Firm, Team, User
from reciprocity.accounts.services import firm_create

# Records are never deleted, not even by an operator: people are deactivated, partners archived,
# and a firm admin purges what the retention period allows (reciprocity.audit).
admin.site.disable_action("delete_selected")


class NoDelete:
    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Firm)
class FirmAdmin(NoDelete, SimpleHistoryAdmin):
    list_display = ["name", "slug", "dormancy_days"]

    def save_model(self, request: HttpRequest, obj: Firm, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        # A new firm goes through the service, which gives it the starter playbook.
        created = firm_create(**form.cleaned_data)
        obj.pk, obj.created_at = created.pk, created.created_at


@admin.register(User)
class UserAdmin(NoDelete, BaseUserAdmin):
    list_display = ["username", "email", "firm", "role", "is_active"]
    list_filter = ["firm", "role", "is_active"]
    fieldsets = (*(BaseUserAdmin.fieldsets or ()), ("Firm", {"fields": ("firm", "role")}))


@admin.register(Team)
class TeamAdmin(NoDelete, SimpleHistoryAdmin):
    list_display = ["name", "firm"]
    filter_horizontal = ["members"]


@admin.register(ApiToken)
class ApiTokenAdmin(NoDelete, admin.ModelAdmin):
    list_display = ["user", "name", "hint", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["key_hash", "hint", "created_at", "last_used_at"]
