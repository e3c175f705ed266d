from django.shortcuts import render


def platform_home(request):
    return render(request, "core/platform_home.html")
