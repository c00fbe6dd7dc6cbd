from __future__ import annotations

from rest_framework.pagination import LimitOffsetPagination


class Page(LimitOffsetPagination):
    """``?limit=&offset=`` (limit defaults to PAGE_SIZE).

    Every list answers ``{count, next, previous, results}``.
    """

    max_limit = 500
