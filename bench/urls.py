"""The production URLs plus the two baselines every page is compared with."""

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path

from config.urls import urlpatterns as site_urlpatterns


def bare_view(request):
    """The floor: Django's request/response cycle and middleware, nothing else."""
    return HttpResponse("ok")


def bare_template(request):
    """A small template, no database: what the issue's ratios are measured against."""
    return render(request, "bench/bare.html", {"title": "Bookstore", "items": range(10)})


urlpatterns = [
    path("bench/bare/", bare_view),
    path("bench/template/", bare_template),
    *site_urlpatterns,
]
