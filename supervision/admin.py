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
