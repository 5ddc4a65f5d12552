"""The language switcher's way back to the page it was on."""

from django import template
from django.conf import settings
from django.urls import translate_url

register = template.Library()


@register.simple_tag(takes_context=True)
def path_in_default_language(context) -> str:
    """The current page's path (and query) as it is in the default language: no prefix.

    ``set_language`` runs under the default language (the switcher posts to an
    address without a language prefix, and with ``prefix_default_language``
    off LocaleMiddleware then ignores the cookie), so it can resolve and
    translate only an unprefixed path: given "/en/…" it would send the member
    back to the English page whatever language they chose.
    """
    request = context.get("request")
    if request is None:
        return "/"
    return translate_url(request.get_full_path(), settings.LANGUAGE_CODE)
