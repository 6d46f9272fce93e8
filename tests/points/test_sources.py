"""Source links: an entry explains itself with a link to what it was scored for."""

from zhibu.points import sources


def test_registered_types_link_and_label():
    sources.register("test.thing", "测试来源", lambda pk: f"/things/{int(pk)}/")
    assert sources.type_label("test.thing") == "测试来源"
    assert sources.url_for("test.thing", "7") == "/things/7/"
    assert sources.url_for("test.thing", "not-a-number") is None  # a bad id never breaks a page


def test_unregistered_and_linkless_types_have_no_url():
    assert sources.url_for("nobody.registered", "1") is None
    assert sources.type_label("nobody.registered") == "nobody.registered"
    assert sources.url_for("points.manual", "abc") is None
    assert sources.type_label("points.manual") == "手工记分"


def test_points_own_sources_link_to_their_pages():
    assert sources.url_for("points.claim", "12") == "/points/claims/12/"
    assert sources.url_for("points.reversal", "5") == "/points/entries/5/"
