from django.urls import path

from archive import views

app_name = "archive"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("files/<int:pk>/", views.detail, name="detail"),
    path("files/<int:pk>/pdf/", views.printed, name="pdf"),
    path("files/<int:pk>/seal/", views.seal, name="seal"),
    path("files/<int:pk>/check/", views.check, name="check"),
    path("files/<int:pk>/add/", views.add, name="add"),
    path("files/<int:pk>/describe/", views.describe, name="describe"),
    path("files/<int:pk>/volume/", views.volume, name="volume"),
    path("files/<int:pk>/export/", views.export, name="export"),
    path("holds/", views.holds, name="holds"),
    path("holds/new/", views.hold_new, name="hold_new"),
    path("holds/<int:pk>/release/", views.hold_release, name="hold_release"),
    path("disposals/", views.disposals, name="disposals"),
    path("disposals/new/", views.disposal_new, name="disposal_new"),
    path("disposals/<int:pk>/decide/", views.disposal_decide, name="disposal_decide"),
    path("enterprises/<int:pk>/", views.enterprise, name="enterprise"),
    path("enterprises/<int:pk>/collect/", views.collection_new, name="collection_new"),
    path("enterprises/<int:pk>/collections/<int:collection>/return/", views.collection_return,
         name="collection_return"),
    path("enterprises/<int:pk>/export/", views.enterprise_zip, name="enterprise_export"),
    path("carriers/", views.carriers, name="carriers"),
    path("carriers/new/", views.carrier_new, name="carrier_new"),
    path("carriers/<int:pk>/", views.carrier_label, name="carrier_label"),
    path("carriers/<int:pk>/custody/", views.carrier_custody, name="carrier_custody"),
]
