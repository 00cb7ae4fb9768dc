"""The API router every app registers its viewsets with."""

from rest_framework.routers import DefaultRouter


class IdRouter(DefaultRouter):
    """Object ids in API paths are typed: `<int:pk>` (Django's path converter), so
    `/records/null,null/` is a 404 like any unknown address, never a ValueError in a view, and the
    schema says `integer`. A viewset with another key sets `lookup_value_converter`."""

    include_root_view = False
    include_format_suffixes = False  # JSON is the API's one format; `.json` twins only doubled the schema

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("use_regex_path", False)
        super().__init__(*args, **kwargs)
        self._default_value_pattern = "int"
