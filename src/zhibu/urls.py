from functools import partial

from django.urls import include, path
from ninja.openapi.views import openapi_json, openapi_view

from zhibu.api.api import api

urlpatterns = [
    path("", include("zhibu.core.urls")),
    path("accounts/", include("zhibu.accounts.urls")),
    path("orgs/", include("zhibu.orgs.urls")),
    path("members/", include("zhibu.members.urls")),
    path("development/", include("zhibu.development.urls")),
    path("points/", include("zhibu.points.urls")),
    path("orglife/", include("zhibu.orglife.urls")),
    # The OpenAPI schema and its docs page at stable addresses outside the versioned prefix
    # (ninja also serves them at /api/v1/openapi.json and /api/v1/docs).
    path("api/openapi.json", partial(openapi_json, api=api), name="api-openapi"),
    path("api/docs", partial(openapi_view, api=api), name="api-docs"),
    path("api/v1/", api.urls),
]

handler403 = "zhibu.core.views.error_403"
handler404 = "zhibu.core.views.error_404"
handler500 = "zhibu.core.views.error_500"
