from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from reciprocity.referrals.models import (
    ProtocolTemplate,
    Referral,
    ReferralStatusChange,
    ReferralStep,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class StepInline(ReadOnlyInline):
    model = ReferralStep
    fields = ["position", "slug", "label", "done_at", "skipped_at", "touch"]


class StatusChangeInline(ReadOnlyInline):
    model = ReferralStatusChange
    fields = ["occurred_at", "from_status", "to_status", "reason", "by"]


@admin.register(Referral)
class ReferralAdmin(SimpleHistoryAdmin):
    """For inspection: every change goes through the services, which keep the ledger's rules."""

    list_display = ["need", "partner", "direction", "kind", "status", "occurred_at", "archived_at"]
    list_filter = ["firm", "direction", "kind", "status"]
    search_fields = ["need", "partner__name"]
    list_select_related = ["partner"]
    inlines = [StepInline, StatusChangeInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ProtocolTemplate)
class ProtocolTemplateAdmin(SimpleHistoryAdmin):
    list_display = ["profession", "firm", "updated_at"]
    list_filter = ["firm", "profession"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
