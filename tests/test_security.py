"""Security settings: check --deploy, response headers, no inline code, admin lockout and 2FA."""

import datetime
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import make_programme

TEMPLATES = Path(django_settings.BASE_DIR) / "templates"

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), fullscreen=(), "
    "geolocation=(), gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), "
    "publickey-credentials-get=(), screen-wake-lock=(), serial=(), usb=(), "
    "xr-spatial-tracking=()"
)


def directives(policy: str) -> dict[str, str]:
    """A policy header as directive -> sources (django-csp writes them in no fixed order)."""
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


def run_deploy_check(env, **extra):
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.core.management import call_command; "
            "call_command('check', '--deploy', '--fail-level', 'WARNING')",
        ],
        cwd=django_settings.BASE_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": "fagdag.settings", **extra},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_with_production_settings(production_env):
    result = run_deploy_check(production_env)

    assert (result.returncode, result.stdout.strip()) == (
        0,
        "System check identified no issues (2 silenced).",
    )


def test_check_deploy_fails_behind_a_proxy_without_trusted_proxies(production_env):
    result = run_deploy_check(production_env, TRUSTED_PROXY_COUNT="0")

    assert result.returncode == 1
    assert "fagdag.E141" in result.stderr
    assert "TRUSTED_PROXY_COUNT is 0" in result.stderr


def test_check_deploy_fails_when_rate_limits_trust_an_address(production_env):
    result = run_deploy_check(production_env, RATELIMIT_TRUSTED_ADDRESSES="127.0.0.1")

    assert result.returncode == 1
    assert "fagdag.W001" in result.stderr


@pytest.fixture
def production(settings):
    """The security settings of fagdag/settings.py with DEBUG off, in this process."""
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.ALLOWED_HOSTS = ["fagdag.example.org", "testserver"]
    settings.SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    return settings


@pytest.mark.django_db
def test_production_page_has_the_security_headers(client, production):
    event = make_programme()

    response = client.get(event.get_absolute_url(), secure=True)

    assert response.status_code == 200
    assert {
        name: response.headers.get(name)
        for name in (
            "Content-Security-Policy",
            "Permissions-Policy",
            "Strict-Transport-Security",
            "X-Frame-Options",
            "X-Content-Type-Options",
            "Referrer-Policy",
            "Cross-Origin-Opener-Policy",
        )
    } | {"Content-Security-Policy": directives(response["Content-Security-Policy"])} == {
        "Content-Security-Policy": CSP,
        "Permissions-Policy": PERMISSIONS_POLICY,
        "Strict-Transport-Security": "max-age=31536000",
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
    }


@pytest.mark.django_db
def test_production_sends_plain_http_to_https(client, production):
    response = client.get("/?side=2", HTTP_HOST="fagdag.example.org")

    assert (response.status_code, response["Location"]) == (
        301,
        "https://fagdag.example.org/?side=2",
    )


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_production_answers_the_load_balancers_plain_http_health_checks(client, production, path):
    response = client.get(path, HTTP_HOST="fagdag.example.org")

    assert response.status_code == 200


def test_production_settings_exempt_exactly_the_health_checks_from_the_redirect(production_env):
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.SECURE_REDIRECT_EXEMPT)",
        ],
        cwd=django_settings.BASE_DIR,
        env={**production_env, "DJANGO_SETTINGS_MODULE": "fagdag.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert result.stdout.strip() == "['^healthz$', '^readyz$']"


@pytest.mark.django_db
def test_production_trusts_the_proxy_that_says_https(client, production):
    response = client.get("/healthz", HTTP_X_FORWARDED_PROTO="https")

    assert (response.status_code, response["Strict-Transport-Security"]) == (
        200,
        "max-age=31536000",
    )


@pytest.mark.django_db
def test_registration_form_cookies_are_secure_in_production(client, production):
    event = make_programme()

    response = client.get(f"/tilmelding/{event.slug}/", secure=True)

    csrf_cookie = response.cookies["csrftoken"]
    assert (csrf_cookie["secure"], csrf_cookie["samesite"]) == (True, "Lax")


INLINE_CODE = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>|<style\b|\sstyle=|\son[a-z]+=|javascript:",
    re.IGNORECASE,
)


def test_page_templates_have_no_inline_script_or_style():
    offenders = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0).strip()}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        if "emails" not in path.relative_to(TEMPLATES).parts  # mail clients, not browsers
        for match in INLINE_CODE.finditer(path.read_text())
    ]

    assert offenders == []


@pytest.mark.django_db
def test_rendered_registration_form_has_no_inline_script_or_style(client):
    event = make_programme(price=350)

    content = client.get(f"/tilmelding/{event.slug}/").content.decode()

    assert INLINE_CODE.findall(content) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/events/event/",
        "/admin/events/event/add/",
        "/admin/auth/user/add/",
        "/admin/otp_totp/totpdevice/add/",
    ],
)
def test_admin_pages_run_under_the_policy_without_inline_code(client, path):
    """Django's admin keeps its scripts in files and its data in JSON: no exception for /admin/."""
    client.force_login(User.objects.create_superuser("root", "root@example.org", "pw"))

    response = client.get(path)

    assert response.status_code == 200
    assert directives(response["Content-Security-Policy"]) == CSP
    assert INLINE_CODE.findall(response.content.decode()) == []


# --- Admin login: lockout (django-axes) -------------------------------------


def admin_login(client, password, address="203.0.113.7", **headers):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": "anna", "password": password},
        REMOTE_ADDR=address,
        **headers,
    )


@pytest.fixture
def anna(db):
    return User.objects.create_user("anna", "anna@example.org", "rigtig-kode-123", is_staff=True)


def test_admin_login_locks_after_five_failures_for_an_hour(client, anna):
    statuses = [admin_login(client, "forkert").status_code for _ in range(4)]

    locked = admin_login(client, "forkert")
    with_right_password = admin_login(client, "rigtig-kode-123")

    assert statuses == [200, 200, 200, 200]
    assert (locked.status_code, locked["Retry-After"]) == (429, "3600")
    assert "Login låst" in locked.content.decode()
    assert "Prøv igen om 60 minutter." in locked.content.decode()
    assert with_right_password.status_code == 429
    assert "_auth_user_id" not in client.session


def test_admin_lockout_is_per_username_and_address(client, anna):
    for _ in range(5):
        admin_login(client, "forkert", address="203.0.113.7")

    other_address = admin_login(client, "rigtig-kode-123", address="198.51.100.9")

    assert (other_address.status_code, other_address["Location"]) == (302, "/admin/")


def test_admin_lockout_counts_the_client_behind_the_proxy(client, anna, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(5):
        admin_login(client, "forkert", address="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.7")

    same_client = admin_login(
        client, "rigtig-kode-123", address="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.7"
    )
    other_client = admin_login(
        client, "rigtig-kode-123", address="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.9"
    )

    assert same_client.status_code == 429
    assert other_client.status_code == 302
    # The attempt during the lockout counts as a failure too (and restarts the hour).
    assert list(AccessAttempt.objects.values_list("ip_address", "failures_since_start")) == [
        ("203.0.113.7", 6)
    ]


def test_a_password_sprayed_over_many_usernames_locks_the_address_out(client, anna):
    def spray(username, address="203.0.113.7"):
        return client.post(
            "/admin/login/?next=/admin/",
            {"username": username, "password": "Sommer2026!"},
            REMOTE_ADDR=address,
        ).status_code

    sprayed = [spray(f"bruger{n}") for n in range(19)]
    last = spray("bruger19")
    anna_here = admin_login(client, "rigtig-kode-123")
    anna_elsewhere = admin_login(client, "rigtig-kode-123", address="198.51.100.9")

    assert sprayed == [200] * 19
    assert (last, anna_here.status_code) == (429, 429)
    assert (anna_elsewhere.status_code, anna_elsewhere["Location"]) == (302, "/admin/")


def test_a_few_mistakes_by_colleagues_on_one_address_lock_no_one_else_out(client, anna):
    for n in range(6):
        for _ in range(3):
            client.post(
                "/admin/login/?next=/admin/",
                {"username": f"kollega{n}", "password": "forkert"},
                REMOTE_ADDR="203.0.113.7",
            )

    response = admin_login(client, "rigtig-kode-123")

    assert (response.status_code, response["Location"]) == (302, "/admin/")


def test_a_staff_login_lasts_a_working_day_and_ends_with_the_browser(client, anna):
    with time_machine.travel(datetime.datetime(2026, 9, 1, 8, 0, tzinfo=datetime.UTC)) as clock:
        response = admin_login(client, "rigtig-kode-123")
        cookie = response.cookies[django_settings.SESSION_COOKIE_NAME]
        clock.shift(datetime.timedelta(hours=7, minutes=59))
        before_the_end = client.get("/admin/")
        clock.shift(datetime.timedelta(minutes=2))
        after_the_end = client.get("/admin/")

    assert (cookie["expires"], cookie["max-age"]) == ("", "")
    assert before_the_end.status_code == 200
    assert (after_the_end.status_code, after_the_end["Location"]) == (
        302,
        "/admin/login/?next=/admin/",
    )


# --- Admin login: two factors (django-otp) ----------------------------------


def test_without_2fa_staff_log_in_with_the_password_alone(client, anna, settings):
    settings.ADMIN_REQUIRE_2FA = False

    login_page = client.get("/admin/login/").content.decode()
    response = admin_login(client, "rigtig-kode-123")

    assert 'name="otp_token"' not in login_page
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert client.get("/admin/").status_code == 200


def totp_code(device, clock_shift=0):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time += clock_shift
    return f"{totp.token():0{device.digits}d}"


def login_with_code(client, password, code, address="203.0.113.7"):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": "anna", "password": password, "otp_token": code},
        REMOTE_ADDR=address,
    )


def test_with_2fa_the_password_alone_is_not_enough(client, anna, settings):
    settings.ADMIN_REQUIRE_2FA = True
    TOTPDevice.objects.create(user=anna, name="telefon")

    login_page = client.get("/admin/login/").content.decode()
    response = admin_login(client, "rigtig-kode-123")

    assert 'name="otp_token"' in login_page
    assert INLINE_CODE.findall(login_page) == []
    assert response.status_code == 200
    assert client.get("/admin/")["Location"] == "/admin/login/?next=/admin/"


def test_with_2fa_staff_log_in_with_password_and_a_code_from_their_app_at_once(
    client, anna, settings
):
    settings.ADMIN_REQUIRE_2FA = True
    device = TOTPDevice.objects.create(user=anna, name="telefon")

    response = login_with_code(client, "rigtig-kode-123", totp_code(device))

    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert client.get("/admin/").status_code == 200


def test_with_2fa_the_login_never_tells_that_the_password_was_right(client, anna, settings):
    """A right password with a wrong or missing code gets the very page a wrong password
    gets: no device list, no "enter your code", the password not filled in again."""
    settings.ADMIN_REQUIRE_2FA = True
    device = TOTPDevice.objects.create(user=anna, name="telefon")
    wrong_code = totp_code(device, clock_shift=10 * device.step)

    def page(password, code):
        response = login_with_code(client, password, code)
        content = response.content.decode()
        return response.status_code, content.replace(
            re.search(r'name="csrfmiddlewaretoken" value="[^"]*"', content)[0], ""
        )

    pages = [
        page("forkert", wrong_code),
        page("rigtig-kode-123", wrong_code),
        page("forkert", ""),
        page("rigtig-kode-123", ""),
    ]

    assert {status for status, _ in pages} == {200}
    assert len({content for _, content in pages}) == 1
    content = pages[0][1]
    assert "Indtast venligst korrekt brugernavn, adgangskode og kode" in content
    assert "rigtig-kode-123" not in content
    assert 'name="otp_device"' not in content
    assert "_auth_user_id" not in client.session


def test_with_2fa_wrong_codes_count_towards_the_lockout(client, anna, settings):
    settings.ADMIN_REQUIRE_2FA = True
    device = TOTPDevice.objects.create(user=anna, name="telefon")
    wrong_code = totp_code(device, clock_shift=10 * device.step)

    statuses = [
        login_with_code(client, "rigtig-kode-123", wrong_code).status_code for _ in range(5)
    ]
    right = login_with_code(client, "rigtig-kode-123", totp_code(device))

    assert statuses == [200, 200, 200, 200, 429]
    assert right.status_code == 429


def test_with_2fa_an_emergency_code_from_the_server_logs_in_once(client, anna, settings):
    """The README's way in for a first login or a lost phone: manage.py addstatictoken."""
    settings.ADMIN_REQUIRE_2FA = True
    TOTPDevice.objects.create(user=anna, name="telefon")
    call_command("addstatictoken", "anna", token="k7m2x9q4", stdout=io.StringIO())
    device = StaticDevice.objects.get(user=anna)

    first = login_with_code(client, "rigtig-kode-123", "k7m2x9q4")
    client.logout()
    again = login_with_code(client, "rigtig-kode-123", "k7m2x9q4")

    assert (device.name, first.status_code, first["Location"]) == ("Backup Code", 302, "/admin/")
    assert again.status_code == 200
    # Logging in with the emergency code counted no failure against the phone.
    assert TOTPDevice.objects.get(user=anna).throttling_failure_count == 0


def test_with_2fa_a_session_without_a_code_is_not_staff(client, anna, settings):
    settings.ADMIN_REQUIRE_2FA = True
    client.force_login(anna)

    response = client.get("/admin/")

    assert (response.status_code, response["Location"]) == (302, "/admin/login/?next=/admin/")


def test_2fa_is_on_by_default_in_production_and_off_in_development(production_env):
    def require_2fa(**env):
        return subprocess.run(
            [
                sys.executable,
                "-c",
                "import django; django.setup(); from django.conf import settings; "
                "print(settings.ADMIN_REQUIRE_2FA)",
            ],
            cwd=django_settings.BASE_DIR,
            env={**production_env, "DJANGO_SETTINGS_MODULE": "fagdag.settings", **env},
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout.strip()

    assert (require_2fa(), require_2fa(DEBUG="1"), require_2fa(ADMIN_REQUIRE_2FA="0")) == (
        "True",
        "False",
        "False",
    )


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["admin_login", "registration_form"])
def test_a_form_sent_in_utf16_gets_a_clear_400_page(page):
    from django.test import Client

    from events.models import Event

    client = Client(enforce_csrf_checks=True)
    if page == "admin_login":
        url = "/admin/login/"
    else:
        url = f"/tilmelding/{make_programme(status=Event.Status.PUBLISHED).slug}/"
    form_page = client.get(url)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form_page.content.decode())
    body = f"csrfmiddlewaretoken={token.group(1)}&username=anne&password=æøå"

    response = client.generic(
        "POST",
        url,
        body.encode("utf-16"),
        content_type="application/x-www-form-urlencoded; charset=utf-16",
        headers={"referer": "http://testserver" + url},
    )

    assert response.status_code == 400
    assert "Formularen blev sendt i en tegnkodning, vi ikke kan læse" in response.content.decode()
