"""The ledger on the public portal (/public/ledger/, no log-in): the signed checkpoints, so that
anyone can keep one and later hold the agency to it. Included in the portal's URLs, so the
names live in the `publicity` namespace."""

from django.urls import path

from ledger import views

urlpatterns = [
    path("checkpoint", views.public_checkpoint, name="ledger_checkpoint"),
    path("checkpoints/", views.public_checkpoints, name="ledger_checkpoints"),
    path("checkpoints/<int:size>", views.public_checkpoint_at, name="ledger_checkpoint_at"),
    path("key", views.public_key, name="ledger_key"),
]
