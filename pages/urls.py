from django.contrib.sitemaps import views as sitemap_views
from django.urls import path

from books.cache import cacheable_for_anonymous
from books.sitemaps import SITEMAPS

from . import views

urlpatterns = [
    path("", cacheable_for_anonymous(views.HomePageView.as_view()), name="home"),
    path("about/", views.AboutPageView.as_view(), name="about"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path(
        "sitemap.xml",
        sitemap_views.index,
        {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap_section"},
        name="sitemap",
    ),
    path("sitemap-<section>.xml", sitemap_views.sitemap, {"sitemaps": SITEMAPS}, name="sitemap_section"),
]
