from rest_framework import serializers, viewsets

from equipment import selectors
from equipment.models import Device
from zhifa.api import CapabilityMixin


class DeviceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Device
        fields = ["id", "kind", "serial", "model", "section", "status", "holder", "registered_at"]


class DeviceViewSet(CapabilityMixin, viewsets.ReadOnlyModelViewSet):
    capability = "equipment.view"
    serializer_class = DeviceSerializer

    def get_queryset(self):
        return selectors.device_list(viewer=self.request.user)
