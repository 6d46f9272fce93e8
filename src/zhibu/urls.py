from django.urls import include, path

from zhibu.api.api import api

urlpatterns = [
    path("", include("zhibu.core.urls")),
    path("accounts/", include("zhibu.accounts.urls")),
    path("orgs/", include("zhibu.orgs.urls")),
    path("api/v1/", api.urls),
]

handler403 = "zhibu.core.views.error_403"
handler404 = "zhibu.core.views.error_404"
handler500 = "zhibu.core.views.error_500"
