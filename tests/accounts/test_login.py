"""Login by username or mobile, throttling (django-axes), logout, passwords."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client

from tests.factories import PASSWORD, UserFactory
from zhibu.accounts import services
from zhibu.core.errors import ValidationError
from zhibu.core.models import AuditAction, AuditLog

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def login(client, username, password=PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


@pytest.fixture
def person(db):
    return UserFactory(username="zhangsan", real_name="张三", mobile="13800138000")


def test_login_page_renders(client):
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert "用户名或手机号" in response.content.decode()


@pytest.mark.parametrize("identifier", ["zhangsan", "13800138000"])
def test_login_by_username_or_mobile(client, person, identifier):
    response = login(client, identifier, HTTP_USER_AGENT="pytest-agent")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session[SESSION_KEY] == str(person.pk)
    entry = AuditLog.objects.filter(action=AuditAction.LOGIN).latest("id")
    assert (entry.actor, entry.ip, entry.user_agent) == (person, "127.0.0.1", "pytest-agent")


def test_login_respects_next(client, person):
    response = client.post(f"{LOGIN}?next=/orgs/", {"username": "zhangsan", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/orgs/"


@pytest.mark.parametrize("identifier,password", [("zhangsan", "wrong-pass-1"), ("nosuchuser", PASSWORD)])
def test_wrong_credentials(client, person, identifier, password):
    response = login(client, identifier, password)
    assert response.status_code == 200
    assert "用户名（手机号）或密码不正确" in response.content.decode()
    assert SESSION_KEY not in client.session
    assert AuditLog.objects.filter(action=AuditAction.LOGIN_FAILED, object_repr=identifier).exists()


def test_inactive_account_cannot_log_in(client):
    UserFactory(username="gone", is_active=False)
    response = login(client, "gone")
    assert response.status_code == 200
    assert SESSION_KEY not in client.session


def test_five_failures_lock_the_account_even_for_the_right_password(client, person):
    statuses = [login(client, "zhangsan", f"wrong-{i}").status_code for i in range(5)]
    assert statuses[:4] == [200, 200, 200, 200]
    response = login(client, "zhangsan", PASSWORD)
    assert response.status_code == 429
    assert SESSION_KEY not in client.session
    # the lockout is per account and address: another account from the same address still logs in
    UserFactory(username="lisi")
    assert login(Client(), "lisi").status_code == 302


@pytest.mark.parametrize(
    "failing,then", [("13800138000", "13800138000"), ("zhangsan", "13800138000"), ("13800138000", "zhangsan")]
)
def test_lockout_covers_the_account_whichever_identifier_is_used(client, person, failing, then):
    for i in range(3):
        login(client, failing, f"wrong-{i}")
    for i in range(2):
        login(client, then, f"wrong-again-{i}")
    assert login(client, then, PASSWORD).status_code == 429
    assert login(client, failing, PASSWORD).status_code == 429


def test_four_failures_then_success_resets_the_counter(client, person):
    for i in range(4):
        assert login(client, "zhangsan", f"wrong-{i}").status_code == 200
    assert login(client, "zhangsan").status_code == 302
    other = Client()
    for i in range(4):
        assert login(other, "zhangsan", f"wrong-{i}").status_code == 200
    assert login(other, "zhangsan").status_code == 302


def test_security_officer_lifts_a_lockout(client, person, users):
    for i in range(5):
        login(client, "zhangsan", f"wrong-{i}")
    assert login(client, "zhangsan").status_code == 429
    with pytest.raises(services.PermissionDenied):
        services.unlock_account(users.sysadmin, "zhangsan")
    services.unlock_account(users.security, "zhangsan")
    assert login(client, "zhangsan").status_code == 302
    assert AuditLog.objects.filter(summary="解除登录锁定", actor=users.security).exists()


def test_logout_needs_post(client, person):
    client.force_login(person)
    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert SESSION_KEY not in client.session
    assert AuditLog.objects.filter(action=AuditAction.LOGOUT, actor=person).exists()


def test_pages_need_login(client):
    for url in ["/", "/orgs/", "/accounts/me/", "/accounts/roles/", "/audit/"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(f"{LOGIN}?next=")


def test_change_own_password(person, client):
    with pytest.raises(ValidationError) as exc:
        services.change_own_password(person, "not-my-password", "Another-pass-2025")
    assert exc.value.message_dict == {"old_password": ["原密码不正确"]}
    with pytest.raises(ValidationError) as exc:
        services.change_own_password(person, PASSWORD, "12345678")
    assert "new_password1" in exc.value.message_dict
    services.change_own_password(person, PASSWORD, "Another-pass-2025")
    assert login(client, "zhangsan").status_code == 200
    assert login(client, "zhangsan", "Another-pass-2025").status_code == 302


def test_password_page_changes_password_and_keeps_session(client, person):
    client.force_login(person)
    response = client.post(
        "/accounts/me/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "Another-pass-2025",
            "new_password2": "Another-pass-2025",
        },
    )
    assert response.status_code == 302
    assert client.get("/accounts/me/").status_code == 200  # still logged in
    person.refresh_from_db()
    assert person.check_password("Another-pass-2025")


def test_create_user_checks(users):
    user = services.create_user(
        users.sysadmin, username=" wangwu ", real_name="王五", password="Strong-pass-99", mobile="13900000001"
    )
    assert (user.username, user.mobile) == ("wangwu", "13900000001")
    assert user.check_password("Strong-pass-99")
    cases = [
        ({"username": "wangwu"}, "username"),
        ({"mobile": "13900000001"}, "mobile"),
        ({"mobile": "12345"}, "mobile"),
        ({"password": "123"}, "password"),
        ({"real_name": " "}, "real_name"),
    ]
    for override, field in cases:
        data = {
            "username": "zhaoliu",
            "real_name": "赵六",
            "password": "Strong-pass-99",
            "mobile": "",
            **override,
        }
        with pytest.raises(ValidationError) as exc:
            services.create_user(users.sysadmin, **data)
        assert field in exc.value.message_dict, override
    with pytest.raises(services.PermissionDenied):
        services.create_user(users.org_admin, username="x1", real_name="x", password="Strong-pass-99")
