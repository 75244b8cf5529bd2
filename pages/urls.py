from django.urls import path

from books.cache import cacheable_for_anonymous

from . import views

urlpatterns = [
    path("", cacheable_for_anonymous(views.HomePageView.as_view()), name="home"),
    path("about/", views.AboutPageView.as_view(), name="about"),
]
