from django.contrib import admin

from field.models import (
    ElectronicSend,
    InspectionCode,
    InspectionRating,
    InstrumentCheck,
    SignatureBinding,
    SyncItem,
)


class ReadOnly(admin.ModelAdmin):
    """Rows written by services with their ledger events: shown, never edited here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


for model in (InspectionCode, InspectionRating, InstrumentCheck, SignatureBinding, SyncItem, ElectronicSend):
    admin.site.register(model, ReadOnly)
