"""Loaded by pytest before Django (``-p tests.environment`` in pytest.ini).

Tests run with the development defaults, whatever the shell has: no
production secret is needed to run them.
"""

import os

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "1")  # Playwright's sync API runs a loop
