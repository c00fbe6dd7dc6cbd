"""Sign in and out with Django's own views and our templates; logout is POST only (Django 5)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views

login = auth_views.LoginView.as_view(
    template_name="registration/login.html",
    redirect_authenticated_user=True,
)
logout = auth_views.LogoutView.as_view()
