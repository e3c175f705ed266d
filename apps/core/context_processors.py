from django.conf import settings


def platform(request):
    user = getattr(request, "user", None)
    theme = getattr(user, "theme", "system") if user is not None and user.is_authenticated else "system"
    return {
        "BASE_DOMAIN": settings.BASE_DOMAIN,
        "PLATFORM_HOST": settings.PLATFORM_HOST,
        "current_theme": theme,
        "current_tenant": getattr(request, "tenant", None),
    }
