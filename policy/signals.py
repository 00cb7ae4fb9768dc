"""Signals of the policy app."""

from django.dispatch import Signal

# Sent with `deadline` (a policy.models.Deadline, already saved) when entering a year's holiday
# arrangement moved its due time or firmed it up; apps that keep a copy of the due time listen.
deadline_moved = Signal()
