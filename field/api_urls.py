from django.urls import path

from field import api

urlpatterns = [
    path("today/", api.TodayView.as_view(), name="api-field-today"),
    path("sync/", api.SyncView.as_view(), name="api-field-sync"),
    path("photos/", api.PhotoView.as_view(), name="api-field-photos"),
    path("instruments/<int:pk>/signatures/", api.SignatureListView.as_view(), name="api-field-signatures"),
]
