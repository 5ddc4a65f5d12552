import io
import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import call_command
from django_scopes import scopes_disabled


@pytest.fixture(autouse=True)
def _every_organisation():
    """Tests make and read data of any organisation; the admin's requests still run in the
    scope of their user (fagdag.middleware.OrganisationScopeMiddleware)."""
    with scopes_disabled():
        yield


@pytest.fixture
def organiser(client):
    """A staff user with the organiser's role in Region Øst (``make_organisation``), logged in."""
    from django.contrib.auth.models import User

    from tests.factories import make_member

    call_command("setup_roles", stdout=io.StringIO())
    user = User.objects.create_user("arrangoer", password="x", is_staff=True)
    make_member(user)
    client.force_login(user)
    return user


@pytest.fixture(autouse=True)
def _danish(settings):
    """Pages are asserted in Danish, the default language, whatever the test machine's locale."""
    settings.LANGUAGE_CODE = "da"


@pytest.fixture(autouse=True)
def _generous_rate_limits(settings):
    """Tests post many times from one address; tests/test_ratelimit.py lowers the limits it tests."""
    settings.RATELIMIT_REGISTER = "10000/m"
    settings.RATELIMIT_REGISTER_BROWSER = "10000/m"
    settings.RATELIMIT_JUNK = "10000/m"
    settings.RATELIMIT_JUNK_BROWSER = "10000/m"
    settings.RATELIMIT_RESEND_LINK = "10000/m"
    settings.RATELIMIT_PERSONAL = "10000/m"


@pytest.fixture(autouse=True)
def _no_kept_pages():
    """Rendered pages and built programmes are kept per process; a test starts
    without another's."""
    from events import event_list_page, programme_page
    from registrations import form_cache

    yield
    form_cache.forget()
    programme_page.forget()
    event_list_page.forget()


@pytest.fixture(scope="session")
def production_env(tmp_path_factory):
    """Environment variables of a production process (DEBUG off), with its static files collected.

    For tests that start the app in a subprocess, as a server would run it.
    """
    root = tmp_path_factory.mktemp("production")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "RATELIMIT_", "ADMIN_")) and key != "DEBUG"
    }
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="fagdag.example.org",
        SITE_URL="https://fagdag.example.org",
        EMAIL_HOST="smtp.example.org",
        TRUSTED_PROXY_COUNT="1",  # behind nginx, as docs/deployment.md sets it up
        DATA_DIR=str(root / "data"),
        STATIC_ROOT=str(root / "static"),
        PYTHONPATH=str(settings.BASE_DIR),
    )
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=settings.BASE_DIR,
        env=env,
        check=True,
        timeout=120,
    )
    return env


@pytest.fixture(scope="session")
def _materials_root(tmp_path_factory):
    return tmp_path_factory.mktemp("materials")


@pytest.fixture(autouse=True)
def materials_dir(settings, _materials_root):
    """Materials (events.materials) are stored in a folder of the test session's, never in
    var/ (one for the session: data made by a module's fixture outlives a test)."""
    from events.materials import MATERIALS_STORAGE

    folder = _materials_root
    settings.STORAGES = {
        **settings.STORAGES,
        "materials": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(folder), "base_url": None},
        },
    }
    MATERIALS_STORAGE.forget()
    yield folder
    MATERIALS_STORAGE.forget()
