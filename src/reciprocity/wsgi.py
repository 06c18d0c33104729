import os

from django.core.wsgi import get_wsgi_application

from reciprocity.ops.collector import freeze_once_warm

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reciprocity.settings")

application = get_wsgi_application()
# A serving process: what it keeps is left out of the garbage collector's walks once warm.
freeze_once_warm()
