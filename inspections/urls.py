from django.urls import path

from inspections import views

app_name = "inspections"
urlpatterns = [
    path("", views.staff_list, name="list"),
    path("items/new/", views.item_new, name="item_new"),
    path("items/<int:pk>/draw/", views.draw_new, name="draw_new"),
    path("draws/<int:pk>/", views.draw_detail, name="draw"),
    path("tasks/<int:pk>/result/", views.task_result, name="task_result"),
    path("draws/<int:pk>/fix/", views.draw_fix, name="draw_fix"),
    path("draws/<int:pk>/reveal/", views.draw_reveal, name="draw_reveal"),
    path("tasks/<int:pk>/matter/", views.task_matter, name="task_matter"),
    path("recusals/new/", views.recusal_new, name="recusal_new"),
]
