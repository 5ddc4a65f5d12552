from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("sprog/", views.switch_language, name="switch_language"),
]
urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("tilmelding/", include("registrations.urls")),
    path("", include("events.urls")),
    prefix_default_language=False,
)

handler400 = "fagdag.views.bad_request"
handler500 = "fagdag.views.server_error"
