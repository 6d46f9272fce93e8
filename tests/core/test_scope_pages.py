"""Scope in pages: out of scope answers 404, in scope without the permission 403."""

import datetime as dt

import pytest

from zhibu.orgs import services

pytestmark = pytest.mark.django_db


def urls_for(org):
    return {
        "detail": f"/orgs/{org.pk}/",
        "children": f"/orgs/{org.pk}/children/",
        "committee": f"/orgs/{org.pk}/committee/",
        "edit": f"/orgs/{org.pk}/edit/",
        "new": f"/orgs/{org.pk}/new/",
        "move": f"/orgs/{org.pk}/move/",
        "dissolve": f"/orgs/{org.pk}/dissolve/",
    }


@pytest.fixture
def sec_a(users, client_for):
    return client_for(users.sec_a)


@pytest.mark.parametrize("page", ["detail", "children", "committee", "edit", "new", "move", "dissolve"])
@pytest.mark.parametrize("org_key", ["b", "b1", "general", "root"])
def test_secretary_of_a_gets_404_outside_own_branch(tree, sec_a, page, org_key):
    assert sec_a.get(urls_for(getattr(tree, org_key))[page]).status_code == 404


@pytest.mark.parametrize(
    "url",
    ["/orgs/{pk}/delete/", "/orgs/{pk}/committee/term/", "/orgs/{pk}/committee/seat/", "/orgs/{pk}/edit/"],
)
def test_secretary_of_a_gets_404_posting_to_b(tree, sec_a, url):
    response = sec_a.post(
        url.format(pk=tree.b.pk), {"name": "改名", "started_on": "2024-01-01", "kind": "committee"}
    )
    assert response.status_code == 404
    tree.b.refresh_from_db()
    assert tree.b.name == "第二党支部" and not tree.b.committee_terms.exists()


@pytest.mark.parametrize("page", ["detail", "children", "committee"])
@pytest.mark.parametrize("org_key", ["a", "a1"])
def test_secretary_of_a_sees_own_branch(tree, sec_a, page, org_key):
    assert sec_a.get(urls_for(getattr(tree, org_key))[page]).status_code == 200


@pytest.mark.parametrize("page", ["edit", "new", "move", "dissolve"])
def test_secretary_of_a_gets_403_for_org_management_in_scope(tree, sec_a, page):
    assert sec_a.get(urls_for(tree.a)[page]).status_code == 403


def test_secretary_of_a_gets_403_deleting_own_group(tree, sec_a):
    assert sec_a.post(f"/orgs/{tree.a2.pk}/delete/").status_code == 403
    tree.a2.refresh_from_db()


def test_unknown_org_is_404_for_everyone(tree, users, client_for):
    for user in (users.org_admin, users.sec_a):
        assert client_for(user).get("/orgs/987654/").status_code == 404


def test_tree_page_shows_only_the_scope(tree, sec_a, users, client_for):
    page = sec_a.get("/orgs/").content.decode()
    assert "第一党支部" in page
    assert "第二党支部" not in page and "某集团党委" not in page
    search = sec_a.get("/orgs/?q=党小组").content.decode()
    assert "第一党小组" in search and "第三党小组" not in search
    detail = sec_a.get(f"/orgs/{tree.a.pk}/").content.decode()
    assert "第一党小组" in detail and "第二党支部" not in detail
    admin_page = client_for(users.org_admin).get("/orgs/").content.decode()
    assert "某集团党委" in admin_page


def test_secretary_manages_own_committee_through_pages(tree, sec_a):
    response = sec_a.post(
        f"/orgs/{tree.a.pk}/committee/term/", {"kind": "committee", "started_on": "2024-01-01"}
    )
    assert response.status_code == 302 and response["Location"] == f"/orgs/{tree.a.pk}/committee/"
    assert tree.a.committee_terms.count() == 1
    page = sec_a.get(f"/orgs/{tree.a.pk}/committee/").content.decode()
    assert "组织委员" in page
    # bad input comes back as a message, nothing changes
    response = sec_a.post(
        f"/orgs/{tree.a.pk}/committee/term/",
        {"kind": "committee", "started_on": "2024-02-01", "ends_on": "2024-01-01"},
        follow=True,
    )
    assert "任期届满日期必须晚于任期开始日期" in response.content.decode()
    assert tree.a.committee_terms.count() == 1


@pytest.mark.parametrize("url", ["/accounts/roles/", "/accounts/users/", "/accounts/security/", "/audit/"])
def test_member_cannot_reach_admin_pages(tree, users, client_for, url):
    assert client_for(users.member_a).get(url).status_code == 403


@pytest.mark.parametrize("url", ["/accounts/users/", "/accounts/security/", "/audit/"])
def test_secretary_cannot_reach_system_pages(tree, users, client_for, url):
    assert client_for(users.sec_a).get(url).status_code == 403


def test_sysadmin_pages(tree, users, client_for):
    client = client_for(users.sysadmin)
    assert client.get("/audit/").status_code == 403  # 三员分立: the admin cannot read the audit log
    assert client.get("/accounts/users/").status_code == 200
    assert client.get("/accounts/roles/").status_code == 200
    assert client.get("/accounts/security/").status_code == 403
    assert client.get(f"/accounts/users/{users.sec_a.pk}/").status_code == 200


def test_security_officer_pages(tree, users, client_for):
    client = client_for(users.security)
    assert client.get("/accounts/security/").status_code == 200
    assert client.get("/accounts/users/").status_code == 403
    assert client.get("/audit/").status_code == 403


def test_org_admin_of_root_sees_both_branches(tree, users, client_for):
    client = client_for(users.org_admin)
    for org in (tree.root, tree.general, tree.a, tree.b, tree.b1):
        for page in ("detail", "committee", "edit"):
            assert client.get(urls_for(org)[page]).status_code == 200, (org, page)
    response = client.post(
        f"/orgs/{tree.b.pk}/edit/",
        {
            "name": "第二党支部（改）",
            "code": "R-G-B",
            "org_type": "branch",
            "branch_kind": "regular",
            "sector": "other",
        },
    )
    assert response.status_code == 302
    tree.b.refresh_from_db()
    assert tree.b.name == "第二党支部（改）"


def test_org_form_shows_service_errors(tree, users, client_for):
    client = client_for(users.org_admin)
    response = client.post(
        f"/orgs/{tree.a.pk}/new/",
        {"name": "支部", "code": "R-G-B", "org_type": "branch", "branch_kind": "regular", "sector": "other"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "组织代码“R-G-B”已被使用" in html or "党支部下不能设党支部" in html


def test_roles_page_is_scoped(tree, users, client_for):
    page = client_for(users.sec_a).get("/accounts/roles/").content.decode()
    assert "甲支委" in page and "乙书记" not in page
    assert client_for(users.sec_a).get(f"/accounts/roles/?org={tree.b.pk}").status_code == 404


def test_nobody_has_no_org_pages(tree, users, client_for):
    client = client_for(users.nobody)
    assert client.get(f"/orgs/{tree.a.pk}/").status_code == 404
    assert client.get("/orgs/").status_code == 404
    assert client.get("/").status_code == 200


def test_home_for_each_role(tree, users, client_for):
    services.start_term(users.org_admin, tree.a, started_on=dt.date(2021, 1, 1))
    for name in ("sysadmin", "security", "auditor", "org_admin", "sec_a", "leader_a1", "member_a"):
        response = client_for(getattr(users, name)).get("/")
        assert response.status_code == 200, name
