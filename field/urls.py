from django.urls import path

from field import views

app_name = "field"
urlpatterns = [
    path("matters/<int:pk>/code/", views.code, name="code"),
    path("ratings/", views.ratings, name="ratings"),
]
