from apps.governance.urls import app_name, tenant

urlpatterns = tenant

__all__ = ["app_name", "urlpatterns"]
