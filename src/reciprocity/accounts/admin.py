from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from simple_history.admin import SimpleHistoryAdmin

from reciprocity.accounts.models import ApiToken, Firm, Team, User


@admin.register(Firm)
class FirmAdmin(SimpleHistoryAdmin):
    list_display = ["name", "slug", "dormancy_days"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "email", "firm", "role", "is_active"]
    list_filter = ["firm", "role", "is_active"]
    fieldsets = (*(BaseUserAdmin.fieldsets or ()), ("Firm", {"fields": ("firm", "role")}))


@admin.register(Team)
class TeamAdmin(SimpleHistoryAdmin):
    list_display = ["name", "firm"]
    filter_horizontal = ["members"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "hint", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["key_hash", "hint", "created_at", "last_used_at"]
