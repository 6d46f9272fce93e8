"""URLs of 组织生活, mounted at /orglife/ (namespace "orglife"); each page module exports its patterns."""

from zhibu.orglife import views, views_compliance, views_reviews

app_name = "orglife"

urlpatterns = [
    *views.urlpatterns,  # meetings, attendance, minutes, votes, check-in, 我的会议
    *views_compliance.urlpatterns,  # 合规, 要求, 台账
    *views_reviews.urlpatterns,  # 民主评议, 谈心谈话
]
