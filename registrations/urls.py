from django.urls import path

from . import ranking, views

app_name = "registrations"
urlpatterns = [
    path("min/slettet/", views.erased, name="erased"),
    path("min/nyt-link-sendt/", views.link_renewed, name="link_renewed"),
    path("min/<str:secret>/", views.personal, name="personal"),
    path("min/<str:secret>/skift/", views.change, name="change"),
    path("min/<str:secret>/afmeld/", views.cancel, name="cancel"),
    path("min/<str:secret>/venteliste/", views.leave_waitlist, name="leave_waitlist"),
    path("min/<str:secret>/sprog/", views.change_language, name="change_language"),
    path("min/<str:secret>/kalender.ics", views.calendar_file, name="calendar"),
    path("min/<str:secret>/data.json", views.personal_data, name="personal_data"),
    path("min/<str:secret>/slet/", views.erase, name="erase"),
    path("min/<str:secret>/nyt-link/", views.renew_link, name="renew_link"),
    path("min/<str:secret>/prioriteter/", ranking.change, name="ranking_change"),
    path("min/<str:secret>/brev/", views.letter, name="letter"),
    path("min/<str:secret>/materialer/<int:pk>/", views.material, name="material"),
    path("min/<str:secret>/brev.txt", views.letter, {"as_text": True}, name="letter_txt"),
    path("<slug:slug>/", views.register, name="register"),
    path("<slug:slug>/send-link/", views.resend_link, name="resend_link"),
    path("<slug:slug>/bekraeftelse/", views.confirmation, name="confirmation"),
    path(
        "<slug:slug>/bekraeftelse/kalender.ics",
        views.confirmation_calendar,
        name="confirmation_calendar",
    ),
]
