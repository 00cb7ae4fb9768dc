from django.urls import path

from equipment import views

app_name = "equipment"
urlpatterns = [
    path("", views.device_list, name="list"),
    path("<int:pk>/issue/", views.device_issue, name="issue"),
    path("<int:pk>/return/", views.device_return, name="return"),
]
