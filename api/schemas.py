"""What the API reads and answers. Prices and averages are strings ("12.50"): exact decimals.

Answers are plain pydantic models: ninja's `Schema` runs a Django-aware validator on every
object, a third of the time of a page of 24 books.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from ninja import Schema
from pydantic import BaseModel, Field


class Error(BaseModel):
    detail: str
    # Field name → messages, the same words the site's forms show.
    errors: dict[str, list[str]] = Field(default_factory=dict)


class BookCard(BaseModel):
    id: UUID
    title: str
    author: str
    price: str = Field(examples=["12.50"])
    rating_average: str | None
    rating_count: int
    review_count: int
    thumbnail_url: str | None
    created_at: datetime
    url: str = Field(description="The book's page on the site.")


class BookDetail(BookCard):
    description: str
    cover_url: str | None
    creator: str
    updated_at: datetime
    rating_distribution: dict[str, int] = Field(description="Counted ratings per number of stars, '5' to '1'.")
    editable: bool = Field(description="Whether the caller may change or delete this book.")


class BookPage(BaseModel):
    items: list[BookCard]
    next_cursor: str | None


class BookIn(Schema):
    title: str
    author: str
    price: Decimal | str
    description: str = ""


class BookPatch(Schema):
    title: str | None = None
    author: str | None = None
    price: Decimal | str | None = None
    description: str | None = None


class ReviewOut(BaseModel):
    id: int
    book: UUID
    book_title: str
    author: str
    review: str
    rating: int | None
    created_at: datetime
    editable: bool


class ReviewPage(BaseModel):
    items: list[ReviewOut]
    next_cursor: str | None


class ReviewIn(Schema):
    review: str
    rating: int | None = Field(default=None, description="1 to 5 stars, or null for no rating.")


class ReviewPatch(Schema):
    review: str | None = None
    rating: int | None = None


class Member(BaseModel):
    username: str
    date_joined: datetime
    book_count: int
    review_count: int
    url: str


class Me(Member):
    email: str
    token_name: str | None = Field(description="The token this request used, if any.")
    token_read_only: bool | None


class DirectUpload(BaseModel):
    url: str = Field(description="POST the form here: every field below, then the file as `file`, last.")
    fields: dict[str, str]
    upload: str = Field(description="Hand this to the finalize endpoint once the bucket accepted the file.")
    max_bytes: int
    expires_in: int


class FinalizeIn(Schema):
    upload: str
