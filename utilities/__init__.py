"""Helpers every app uses, beneath all of them (see DESIGN: "Helpers every app uses sit on the
ground floor"). Nothing here imports an app."""
