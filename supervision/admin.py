from django.contrib import admin

from supervision.models import Finding, FindingEvent


class FindingEventInline(admin.TabularInline):
    model = FindingEvent
    extra = 0
    can_delete = False
    readonly_fields = ("kind", "at", "message")


@admin.register(Finding)
class FindingAdmin(admin.ModelAdmin):
    list_display = ("agency", "kind", "matter", "officer", "rule_key", "opened_at", "closed_at")
    list_filter = ("kind", "agency")
    readonly_fields = [f.name for f in Finding._meta.fields]
    inlines = [FindingEventInline]


# AV spot checks, 案卷评查, 执法过错 (issue 16 items 2-4): read-only here; the pages and services write them.
from supervision.oversight_models import CaseReview, Fault, SpotCheck  # noqa: E402


@admin.register(SpotCheck, CaseReview, Fault)
class OversightAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
