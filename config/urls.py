from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language

from books import views as book_views
from config import health

# The admin has no log-in form of its own: it sends visitors to allauth's, so one rate limit
# and lockout policy covers every way to log in.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]  # allauth documents this

admin.site.site_header = admin.site.site_title = settings.BOOKSTORE_SITE_NAME

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    # The language switch posts here without a CSRF token, so anonymous pages stay cacheable;
    # a forged post could only change the reader's language.
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
    path("accounts/", include("allauth.urls")),
    path("api/", include("api.urls")),
    path("books/", include("books.urls")),
    path("reviews/<int:pk>/update/", book_views.ReviewUpdateView.as_view(), name="review_update"),
    path("reviews/<int:pk>/delete/", book_views.ReviewDeleteView.as_view(), name="review_delete"),
    path("members/<str:username>/", book_views.member_detail, name="member_detail"),
    path("authors/<str:slug>/", book_views.author_detail, name="author_detail"),
    path("subjects/<str:slug>/", book_views.subject_detail, name="subject_detail"),
    path("", include("pages.urls")),
]

# Local media is served by the development server only; production media lives in S3.
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler403 = "pages.views.permission_denied"
