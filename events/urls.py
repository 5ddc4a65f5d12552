from django.urls import path

from . import views

app_name = "events"
urlpatterns = [
    path("", views.event_list, name="list"),
    path("arrangementer/<slug:slug>/", views.event_detail, name="detail"),
    # An event's own privacy page: reverse("events:event_privacy", kwargs={"slug": event.slug}).
    path("arrangementer/<slug:slug>/privatliv/", views.event_privacy, name="event_privacy"),
    path("privatliv/", views.privacy, name="privacy"),
    # A workshop's speakers add its materials: the key in the link is the permission.
    path("materialer/upload/<str:key>/", views.upload_materials, name="upload_materials"),
]
