from django.urls import include, path

from inspections import views as inspection_views
from publicity import views

app_name = "publicity"
urlpatterns = [
    # the public portal (the decision search first: the busiest page)
    path("decisions/", views.decisions, name="decisions"),
    path("", views.index, name="index"),
    path("officers/", views.officers, name="officers"),
    path("powers/", views.powers, name="powers"),
    path("procedures/", views.procedures, name="procedures"),
    path("complaints/", views.complaints, name="complaints"),
    path("inspections/", inspection_views.public_items, name="inspection_items"),
    path("inspections/draws/<int:pk>/", inspection_views.public_draw, name="inspection_draw"),
    path("decisions/<int:pk>/", views.decision, name="decision"),
    path("decisions/<int:pk>/correction/", views.correction_new, name="correction_new"),
    path("withdrawals/", views.withdrawals, name="withdrawals"),
    path("corrections/", views.correction_lookup, name="correction_lookup"),
    path("corrections/<str:token>/", views.correction, name="correction"),
    path("feed.json", views.feed_json, name="feed_json"),
    path("feed.csv", views.feed_csv, name="feed_csv"),
    path("feed.atom", views.feed_atom, name="feed_atom"),
    path("ledger/", include("ledger.public_urls")),
    path("agencies/", views.agencies, name="agencies"),
    # staff
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/new/", views.staff_new, name="staff_new"),
    path("staff/<int:pk>/", views.staff_detail, name="staff_detail"),
    path("staff/<int:pk>/review/", views.staff_review, name="staff_review"),
    path("staff/<int:pk>/summary/", views.staff_summary, name="staff_summary"),
    path("staff/<int:pk>/publish/", views.staff_publish, name="staff_publish"),
    path("staff/<int:pk>/withdraw/", views.staff_withdraw, name="staff_withdraw"),
    path("staff/corrections/<int:pk>/", views.staff_correction, name="staff_correction"),
    path("staff/changes/new/", views.staff_change_new, name="staff_change_new"),
    path("staff/powers/new/", views.staff_power_new, name="staff_power_new"),
]
