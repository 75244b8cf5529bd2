"""One copy of a page for every signed-in member, with holes for what is theirs alone.

A signed-in list or book page differs between members only in a few small places: the name in
the account menu and the link to their page, the CSRF token of the log-out and review forms, a
book's Edit and Delete buttons for its creator, and a review's for its author. Rendering the
rest on every request was most of a member's page cost (docs/ARCHITECTURE.md, "Caching").

So a cacheable view (books/cache.py) renders a member's page with each such place as a marker,
`{% hole "name" args %}` in the templates; the page cache keeps that one copy for all members,
under the same version and key rules as the anonymous pages, and every response, cached or
just rendered, has its markers filled for the member asking (fill()). Anywhere else (another
view, a visitor) the tag renders its part at once, so templates say it one way.

Hand-written: the caching libraries for Django cache whole pages or fragments; none fills
per-member holes in a shared copy (what an edge server's ESI does).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape, format_html

from .models import Book, Review, is_owner

# The views' flag: this request's page is rendered as the members' shared copy.
MEMBER_COPY = "_member_copy"

_Renderer = Callable[..., str]
_renderers: dict[str, _Renderer] = {}


def _hole(name: str) -> Callable[[_Renderer], _Renderer]:
    def register(renderer: _Renderer) -> _Renderer:
        _renderers[name] = renderer
        return renderer

    return register


@_hole("csrf")
def _csrf(request: HttpRequest) -> str:
    """What {% csrf_token %} writes; get_token() has the middleware set the cookie too.

    One masked token for every form of the response, as a template's csrf_token is: masking
    draws 32 random characters from the system's generator (4-7% of a member's book page
    under py-spy, with two forms)."""
    field: str | None = getattr(request, "_hole_csrf_field", None)
    if field is None:
        field = format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request))
        request._hole_csrf_field = field  # type: ignore[attr-defined]
    return field


@_hole("username")
def _username(request: HttpRequest) -> str:
    return escape(request.user.get_username())


@_hole("member_url")
def _member_url(request: HttpRequest) -> str:
    return escape(reverse("member_detail", args=[request.user.get_username()]))


def _owned_by(request: HttpRequest, model: type[Book] | type[Review], owner_field: str, owner_pk: str) -> bool:
    """The models' own ownership rule (is_owner, which their is_editable_by applies), on the
    owner's id as the marker carries it, read back as the owner field's type."""
    owner = model._meta.get_field(owner_field)
    return is_owner(request.user, owner.target_field.to_python(owner_pk))  # type: ignore[union-attr]


@_hole("owner_actions")
def _owner_actions(request: HttpRequest, book_pk: str, creator_pk: str) -> str:
    """A book's Edit and Delete buttons, for its creator only."""
    if not _owned_by(request, Book, "creator", creator_pk):
        return ""
    return render_to_string("books/_owner_actions.html", {"book_pk": book_pk}).strip()


@_hole("review_actions")
def _review_actions(request: HttpRequest, review_pk: str, author_pk: str) -> str:
    """A review's Edit and Delete links, for its author only."""
    if not _owned_by(request, Review, "author", author_pk):
        return ""
    return render_to_string("books/_review_actions.html", {"review_pk": review_pk}).strip()


def is_member_copy(request: HttpRequest | None) -> bool:
    return request is not None and getattr(request, MEMBER_COPY, False)


@cache
def _secret() -> str:
    # In every marker, so no text a member typed can pass for one (it is escaped anyway); the
    # same in every process, as the copies are shared.
    return hashlib.sha256(f"bookstore-holes:{settings.SECRET_KEY}".encode()).hexdigest()[:16]


@cache
def _pattern() -> re.Pattern[str]:
    return re.compile(rf"<!--hole-{_secret()}:(\w+)((?::[\w-]*)*)-->")


def render(request: HttpRequest, name: str, *args: object) -> str:
    """The hole's marker in a members' copy, else its part for this request."""
    values = [str(arg) for arg in args]
    if is_member_copy(request):
        if any(not re.fullmatch(r"[\w-]*", value) for value in values):
            raise ValueError(f"a hole's arguments are ids: {values!r}")
        return "".join((f"<!--hole-{_secret()}:{name}", *(f":{value}" for value in values), "-->"))
    return _renderers[name](request, *values)


def split(page: str) -> tuple[str, ...]:
    """The members' copy cut at its markers: its text, then for each marker the hole's name,
    its arguments (each after a ":") and the text that follows.

    Cut once for each copy a process keeps (books.cache.local_pages), so that filling it for
    a member only renders the holes and joins the parts: searching the whole page (50 KB for
    a list) at every request was 4% of a member's list page under py-spy.
    """
    return tuple(_pattern().split(page))


def fill(request: HttpRequest, page: tuple[str, ...]) -> str:
    """The members' copy, as split() cut it, with every marker replaced by this member's part."""
    parts = list(page)
    for at in range(1, len(parts), 3):
        name, args = parts[at], parts[at + 1].split(":")[1:]
        parts[at], parts[at + 1] = _renderers[name](request, *args), ""
    return "".join(parts)
