"""Personal API tokens: shown once, stored as a digest, Bearer auth, revocation and expiry."""

import datetime as dt
import hashlib

import pytest
from django.test import Client
from django.utils import timezone

from zhibu.accounts import services
from zhibu.accounts.models import ApiToken
from zhibu.core.errors import ValidationError

pytestmark = pytest.mark.django_db

ME = "/api/v1/me"


def bearer(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_created_key_works_and_only_its_digest_is_stored(users):
    token, key = services.create_token(users.sec_a, name="手机客户端")
    assert key.startswith("zb_") and len(key) > 40
    row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert key not in [str(v) for v in row.values()]
    assert row["key_digest"] == hashlib.sha256(key.encode()).hexdigest()
    assert row["key_prefix"] == key[:8]
    assert token.expires_at > timezone.now() + dt.timedelta(days=89)

    response = Client().get(ME, **bearer(key))
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "sec_a"
    assert [r["role"] for r in body["roles"]] == ["secretary"]
    assert "committee.manage" in body["permissions"] and "org.manage" not in body["permissions"]
    assert body["mobile_masked"].count("*") == 4
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.parametrize(
    "spoil",
    [
        "revoke",
        "expire",
        "deactivate_user",
        "wrong_key",
        "no_prefix",
    ],
)
def test_unusable_tokens_get_401(users, spoil):
    token, key = services.create_token(users.sec_a, name="脚本")
    if spoil == "revoke":
        services.revoke_token(users.sec_a, token)
    elif spoil == "expire":
        ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    elif spoil == "deactivate_user":
        users.sec_a.is_active = False
        users.sec_a.save()
    elif spoil == "wrong_key":
        key = key[:-2] + ("aa" if not key.endswith("aa") else "bb")
    elif spoil == "no_prefix":
        key = key[3:]
    response = Client().get(ME, **bearer(key))
    assert response.status_code == 401
    assert response.json() == {"detail": "请先登录或提供有效的API令牌"}


def test_token_without_expiry(users):
    token, key = services.create_token(users.member_a, name="长期", days=None)
    assert token.expires_at is None
    assert Client().get(ME, **bearer(key)).status_code == 200


@pytest.mark.parametrize(
    "kwargs,field",
    [({"name": " "}, "name"), ({"name": "x", "days": 0}, "days"), ({"name": "x", "days": 400}, "days")],
)
def test_create_token_bad_input(users, kwargs, field):
    with pytest.raises(ValidationError) as exc:
        services.create_token(users.sec_a, **kwargs)
    assert field in exc.value.message_dict
    assert not ApiToken.objects.exists()


def test_only_the_owner_revokes_and_only_once(users):
    token, _ = services.create_token(users.sec_a, name="脚本")
    with pytest.raises(ValidationError):
        services.revoke_token(users.sec_b, token)
    services.revoke_token(users.sec_a, token)
    with pytest.raises(ValidationError):
        services.revoke_token(users.sec_a, token)


def test_token_page_shows_the_key_once(client_for, users):
    client = client_for(users.sec_a)
    response = client.post("/accounts/me/tokens/", {"name": "手机", "days": 30})
    assert response.status_code == 200
    token = ApiToken.objects.get(user=users.sec_a)
    html = response.content.decode()
    keys = [
        w for w in html.replace('"', " ").replace("<", " ").replace(">", " ").split() if w.startswith("zb_")
    ]
    assert keys and ApiToken.digest(keys[0]) == token.key_digest
    again = client.get("/accounts/me/tokens/").content.decode()
    assert keys[0] not in again
    # revoking through the page
    assert client.post(f"/accounts/me/tokens/{token.pk}/revoke/").status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    other = client_for(users.sec_b)
    assert other.post(f"/accounts/me/tokens/{token.pk}/revoke/").status_code == 404
