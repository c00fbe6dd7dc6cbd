from __future__ import annotations

from django.urls import path

from dashboard.pages.views import apps, auth, callbacks, home, keys, layouts, record, rooms, tasks

urlpatterns = [
    path("login/", auth.login, name="login"),
    path("logout/", auth.logout, name="logout"),
    path("home/", home.home, name="home"),
    path("apps/", apps.app_list, name="apps"),
    path("apps/new/", apps.app_create, name="app-create"),
    path("apps/<int:pk>/", apps.app_detail, name="app-detail"),
    path("apps/<int:pk>/callback/", callbacks.callback_settings, name="app-callback"),
    path(
        "apps/<int:pk>/callback/deliveries/<str:event_id>/resend/",
        callbacks.delivery_resend,
        name="app-callback-resend",
    ),
    path("layouts/", layouts.layout_list, name="layouts"),
    # One name for both designer URLs: reverse with the app picks "new", with a template its page.
    path("apps/<int:app_pk>/layouts/new/", layouts.layout_new, name="layout-designer"),
    path("apps/<int:app_pk>/layouts/<int:layout_pk>/", layouts.layout_edit, name="layout-designer"),
    path("apps/<int:app_pk>/layouts/<int:layout_pk>/delete/", layouts.layout_delete, name="layout-delete"),
    path("record/", record.record_example, name="record-example"),
    path("tasks/", tasks.task_list, name="tasks"),
    path("tasks/<uuid:public_id>/", tasks.task_detail, name="task-detail"),
    path("tasks/<uuid:public_id>/thumbnail.jpg", tasks.task_thumbnail, name="task-thumbnail"),
    path("tasks/<uuid:public_id>/files/", tasks.task_files, name="task-files"),
    path("tasks/<uuid:public_id>/files/<int:file_pk>/<str:name>", tasks.task_file, name="task-file"),
    path("rooms/", rooms.room_list, name="rooms"),
    path("keys/", keys.key_accounts, name="key-accounts"),
    path("accounts/<int:account_pk>/keys/", keys.key_list, name="keys"),
    path("accounts/<int:account_pk>/keys/new/", keys.key_create, name="key-create"),
    path(
        "accounts/<int:account_pk>/keys/<str:access_key_id>/revoke/",
        keys.key_revoke,
        name="key-revoke",
    ),
]
