"""The landing page: the user's accounts, their AppIds, and how many tasks are in each state."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dashboard.pages.access import accounts_visible_to, is_superuser, roles_of
from recorder.models import Account, App, MembershipRole, RecordTask, TaskState
from recorder.models.tasks import ENDED_STATES


@dataclass
class AccountSummary:
    account: Account
    role: str  # "Owner", "Member" or "Superuser" (a superuser without a membership)
    can_manage: bool
    apps: list[App] = field(default_factory=list)


@dataclass
class StateCount:
    state: str
    label: str
    count: int


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    roles = roles_of(user)
    summaries = {
        account.pk: AccountSummary(
            account=account,
            role=MembershipRole(roles[account.pk]).label if account.pk in roles else "Superuser",
            can_manage=is_superuser(user) or roles.get(account.pk) == MembershipRole.OWNER,
        )
        for account in accounts_visible_to(user)
    }
    visible_apps = App.objects.visible_to(user)
    apps = (
        App.objects.filter(pk__in=visible_apps.values("pk"))
        .annotate(
            task_count=Count("tasks"),
            active_task_count=Count("tasks", filter=~Q(tasks__state__in=ENDED_STATES)),
        )
        .order_by("app_id")
    )
    for app in apps:
        if app.account_id in summaries:
            summaries[app.account_id].apps.append(app)

    counted = dict(
        RecordTask.objects.filter(app__in=visible_apps.values("pk"))
        .order_by()
        .values("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    state_counts = [StateCount(state.value, state.label, counted.get(state.value, 0)) for state in TaskState]
    return render(
        request,
        "dashboard/home.html",
        {
            "section": "home",
            "accounts": list(summaries.values()),
            "state_counts": state_counts,
            "total_tasks": sum(item.count for item in state_counts),
            "openapi_host": request.get_host(),
        },
    )
