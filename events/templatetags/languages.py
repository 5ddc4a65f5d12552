"""The language switcher's way back to the page it was on."""

from django import template
from django.conf import settings
from django.urls import translate_url

register = template.Library()


@register.simple_tag(takes_context=True)
def path_in_default_language(context) -> str:
    """The current page's path (and query) as it is in the default language: no prefix.

    The switcher (``fagdag.views.switch_language``) resolves it in the default
    language and gives it in the language chosen: one form of the path for
    every page, whatever language it is in.
    """
    request = context.get("request")
    if request is None:
        return "/"
    return translate_url(request.get_full_path(), settings.LANGUAGE_CODE)
