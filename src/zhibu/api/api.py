"""The JSON API root: /api/v1/; OpenAPI at /api/openapi.json, docs at /api/docs."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from zhibu.accounts.api import router as accounts_router
from zhibu.api.auth import AUTH
from zhibu.development.api import router as development_router
from zhibu.members.api import router as members_router
from zhibu.members.api_excel import router as roster_router
from zhibu.members.api_transfers import router as transfers_router
from zhibu.orglife.api import router as orglife_router
from zhibu.orglife.api_compliance import router as orglife_compliance_router
from zhibu.orglife.api_reviews import router as orglife_reviews_router
from zhibu.orgs.api import router as orgs_router
from zhibu.points.api import router as points_router

api = NinjaAPI(
    title="Zhibu 支部 API",
    version="1",
    description=(
        "党支部规范化建设平台接口。认证：页面会话（需CSRF）或个人API令牌（Authorization: Bearer zb_…）。"
    ),
    auth=AUTH,
    urls_namespace="api",
)


@api.exception_handler(ValidationError)
def _validation(request, exc: ValidationError):
    errors = exc.message_dict if hasattr(exc, "error_dict") else {}
    detail = "；".join(exc.messages)
    return api.create_response(request, {"detail": detail, "errors": errors}, status=400)


@api.exception_handler(NinjaValidationError)
def _schema_validation(request, exc: NinjaValidationError):
    errors: dict[str, list[str]] = {}
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "query", "path", "payload")]
        errors.setdefault(".".join(loc) or "__all__", []).append(_zh(err))
    detail = "；".join(f"{k}：{'，'.join(v)}" for k, v in errors.items())
    return api.create_response(request, {"detail": f"请求数据有误：{detail}", "errors": errors}, status=422)


def _zh(err: dict) -> str:
    kind = err.get("type", "")
    return {
        "missing": "必填",
        "int_parsing": "应为整数",
        "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
        "date_parsing": "应为日期（YYYY-MM-DD）",
        "datetime_parsing": "应为日期时间（YYYY-MM-DDTHH:MM）",
        "datetime_from_date_parsing": "应为日期时间（YYYY-MM-DDTHH:MM）",
        "decimal_parsing": "应为数字",
        "bool_parsing": "应为 true 或 false",
        "string_too_long": "过长",
        "enum": "取值无效",
        "literal_error": "取值无效",
    }.get(kind, err.get("msg", "无效"))


@api.exception_handler(Http404)
def _not_found(request, exc):
    return api.create_response(request, {"detail": "未找到，或您无权访问"}, status=404)


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return api.create_response(request, {"detail": str(exc) or "没有权限"}, status=403)


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    # ninja's session auth answers a missing or wrong CSRF token with HttpError(403, "CSRF check Failed")
    detail = str(exc)
    if exc.status_code == 403 and "CSRF" in detail:
        detail = "CSRF校验失败：请刷新页面后重试，或改用API令牌"
    return api.create_response(request, {"detail": detail}, status=exc.status_code)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return api.create_response(request, {"detail": "请先登录或提供有效的API令牌"}, status=401)


api.add_router("/", accounts_router)
api.add_router("/orgs", orgs_router)
api.add_router("/members", members_router)
api.add_router("/development", development_router)
api.add_router("/roster", roster_router)
api.add_router("/transfers", transfers_router)
api.add_router("/points", points_router)
api.add_router("/orglife", orglife_router)
api.add_router("/orglife", orglife_reviews_router)
api.add_router("/orglife", orglife_compliance_router)
