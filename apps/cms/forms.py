"""Input forms of the site editor: they parse; the services validate and write."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from apps.cms.models import BodyFormat

FORMAT_CHOICES = [(BodyFormat.MARKDOWN, _("Markdown")), (BodyFormat.HTML, _("Rich text (HTML)"))]


class _BodyMixin(forms.Form):
    body_format = forms.ChoiceField(label=_("Format"), choices=FORMAT_CHOICES, initial=BodyFormat.MARKDOWN)
    body = forms.CharField(
        label=_("Content"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 18, "spellcheck": "true"}),
        help_text=_("Markdown: # headings, **bold**, [links](/contact/), - lists. Unsafe HTML is removed on save."),
    )
    seo_title = forms.CharField(label=_("SEO title"), required=False, max_length=70,
                                help_text=_("Shown in search results and the browser tab (at most 70 characters)."))  # fmt: skip
    seo_description = forms.CharField(
        label=_("SEO description"),
        required=False,
        max_length=160,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One or two sentences for search results (at most 160 characters)."),
    )


class PageForm(_BodyMixin):
    title = forms.CharField(label=_("Title"), max_length=200)
    slug = forms.CharField(label=_("Address"), required=False, max_length=80,
                           help_text=_("The page lives at /address/. Leave empty to make one from the title; “home” is the home page."))  # fmt: skip
    show_in_nav = forms.BooleanField(label=_("Show in the site's menu"), required=False, initial=True)
    nav_order = forms.IntegerField(label=_("Menu position"), min_value=0, max_value=32767, initial=100)

    field_order = ["title", "slug", "body_format", "body", "seo_title", "seo_description", "show_in_nav", "nav_order"]


class ArticleForm(_BodyMixin):
    title = forms.CharField(label=_("Title"), max_length=200)
    slug = forms.CharField(label=_("Address"), required=False, max_length=80,
                           help_text=_("The article lives at /articles/address/. Leave empty to make one from the title."))  # fmt: skip
    summary = forms.CharField(
        label=_("Summary"), required=False, max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )

    field_order = ["title", "slug", "summary", "body_format", "body", "seo_title", "seo_description"]


class FaqForm(forms.Form):
    question = forms.CharField(label=_("Question"), max_length=300)
    answer = forms.CharField(label=_("Answer"), widget=forms.Textarea(attrs={"rows": 4}), help_text=_("Markdown."))
    category = forms.CharField(label=_("Category"), required=False, max_length=80)
    position = forms.IntegerField(label=_("Position"), min_value=0, max_value=32767, initial=100)
    is_published = forms.BooleanField(label=_("Show on the site"), required=False, initial=True)


class SiteSettingsForm(forms.Form):
    site_title = forms.CharField(label=_("Site title"), required=False, max_length=120)
    tagline = forms.CharField(label=_("Tagline"), required=False, max_length=200)
    brand_colour = forms.CharField(
        label=_("Brand colour"),
        max_length=7,
        widget=forms.TextInput(attrs={"type": "color"}),
        help_text=_("Used for the header, buttons and links of your site."),
    )
    logo_url = forms.CharField(label=_("Logo address"), required=False, max_length=500,
                               help_text=_("An https address of your logo, or upload a file below."))  # fmt: skip
    logo_file = forms.FileField(
        label=_("Upload a logo"), required=False, help_text=_("PNG, JPEG, GIF or WebP, at most 512 KB.")
    )
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)
    industry = forms.CharField(label=_("Industry"), required=False, max_length=80)


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: on the field it names, else on the form."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
