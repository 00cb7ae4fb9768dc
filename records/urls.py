from django.urls import path

from records import views

app_name = "records"
urlpatterns = [
    path("", views.record_list, name="list"),
    path("upload/", views.upload, name="upload"),
    path("exemptions/", views.exemptions, name="exemptions"),
    path("returns/", views.field_returns, name="returns"),
    path("exemptions/<int:pk>/acknowledge/", views.exemption_acknowledge, name="exemption_acknowledge"),
    path("<int:pk>/", views.record_detail, name="detail"),
    path("<int:pk>/versions/<int:number>/download/", views.version_download, name="download"),
    path("<int:pk>/correct/", views.record_correct, name="correct"),
    path("<int:pk>/versions/<int:number>/media/", views.version_media, name="media"),
    path("<int:pk>/events/<int:index>/proof/", views.event_proof, name="proof"),
    path("<int:pk>/explain/", views.explanation_add, name="explain"),
]
