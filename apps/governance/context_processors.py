from functools import partial

from apps.governance.banners import banners_for_request
from apps.governance.impersonation import impersonation_for_request


def banners(request):
    """System banners and the "viewing as" notice. Both are callables, evaluated (once per
    request, memoised) only by the templates that show them: other pages pay nothing."""
    return {
        "system_banners": partial(banners_for_request, request),
        "impersonation": partial(impersonation_for_request, request),
    }
