import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhifa.settings")
application = get_wsgi_application()

# A server writes to the vault: clear what killed writes left (records.storage.temp_files_cleanup).
from records.storage import temp_files_cleanup  # noqa: E402 - needs the application set up

temp_files_cleanup()
