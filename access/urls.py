from django.urls import path

from access import views

app_name = "access"
urlpatterns = [
    path("", views.request_list, name="list"),
    path("new/", views.request_new, name="new"),
    path("register/", views.register, name="register"),
    path("<int:pk>/", views.request_detail, name="detail"),
    path("<int:pk>/decide/", views.request_decide, name="decide"),
    path("<int:pk>/sessions/", views.session_open, name="session_open"),
    path("<int:pk>/copies/", views.copy_make, name="copy"),
    path("<int:pk>/disc-log/", views.disc_log, name="disc_log"),
    path("<int:pk>/post/", views.request_post, name="post"),
    path("<int:pk>/loan/", views.loan, name="loan"),
    path("<int:pk>/export/", views.request_export, name="export"),
    path("sessions/<int:pk>/close/", views.session_close, name="session_close"),
    path("sessions/<int:pk>/records/<int:record>/", views.session_record, name="session_record"),
    path("sessions/<int:pk>/records/<int:record>/content/", views.session_content, name="session_content"),
    path("keep/<int:record>/", views.keep_mark, name="keep_mark"),
]
