from rest_framework.pagination import LimitOffsetPagination


class ApiPagination(LimitOffsetPagination):
    """`?limit=&offset=`; a client cannot ask for the whole fleet in one page."""

    default_limit = 50
    max_limit = 200
