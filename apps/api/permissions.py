from rest_framework import permissions


class IsPlatformUser(permissions.BasePermission):
    """Partners and platform staff (tiers 1–4). Tenant-only users use the dashboard."""

    message = "The partner API is for partners and platform staff."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.tier >= 1)


class IsPlatformStaff(permissions.BasePermission):
    message = "Only platform staff may do this."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.is_platform_staff)
