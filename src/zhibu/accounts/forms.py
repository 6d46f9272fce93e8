from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Q

from zhibu.accounts.models import Role, User
from zhibu.orgs.models import Organization


class LoginForm(AuthenticationForm):
    username = forms.CharField(label="用户名或手机号", max_length=150)
    error_messages = {
        "invalid_login": "用户名（手机号）或密码不正确",
        "inactive": "该账户已停用，请联系系统管理员",
    }


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(label="原密码", widget=forms.PasswordInput)
    new_password1 = forms.CharField(
        label="新密码", widget=forms.PasswordInput, help_text="至少8位，不能全是数字"
    )
    new_password2 = forms.CharField(label="确认新密码", widget=forms.PasswordInput)

    def clean(self):
        data = super().clean()
        if data.get("new_password1") != data.get("new_password2"):
            self.add_error("new_password2", "两次输入的新密码不一致")
        return data


class TokenForm(forms.Form):
    name = forms.CharField(label="用途", max_length=60)
    days = forms.IntegerField(label="有效期（天）", min_value=1, max_value=366, initial=90)


class GrantRoleForm(forms.Form):
    user = forms.CharField(label="用户（用户名或手机号）", max_length=150)
    org = forms.ModelChoiceField(label="组织", queryset=Organization.objects.none())
    role = forms.ChoiceField(label="角色", choices=Role.choices)
    position = forms.CharField(label="职务（可选）", max_length=30, required=False)
    note = forms.CharField(label="备注", max_length=200, required=False)

    def __init__(self, *args, orgs=None, roles=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = orgs if orgs is not None else Organization.objects.none()
        self.fields["org"].label_from_instance = lambda o: f"{'　' * (o.depth - 1)}{o.name}（{o.code}）"
        if roles is not None:
            self.fields["role"].choices = [(r, Role(r).label) for r in roles]

    def clean_user(self):
        value = self.cleaned_data["user"].strip()
        user = User.objects.filter(Q(username=value) | Q(mobile=value)).first()
        if user is None:
            raise forms.ValidationError("找不到该用户，请先由系统管理员创建账户")
        return user


class UserCreateForm(forms.Form):
    username = forms.CharField(label="用户名", max_length=150)
    real_name = forms.CharField(label="姓名", max_length=50)
    mobile = forms.CharField(label="手机号（可选）", max_length=11, required=False)
    password = forms.CharField(
        label="初始密码", widget=forms.PasswordInput, help_text="至少8位，不能全是数字"
    )


class ResetPasswordForm(forms.Form):
    new_password = forms.CharField(label="新密码", widget=forms.PasswordInput)
