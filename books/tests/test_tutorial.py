"""The tutorial's own checks, written its way: a Django TestCase run by `manage.py test`.

Readers of the tutorial Bookstore grew from verify their work with a class like this one,
and an independent acceptance suite drops the original into `books/`; keep it plain Django.
"""

from django.contrib.auth import get_user_model
from django.test import TestCase
from django.urls import reverse

from books.models import Book, Review


class BookTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.user = get_user_model().objects.create_user(
            username="reviewuser", email="reviewuser@email.com", password="testpass123"
        )
        cls.book = Book.objects.create(title="Harry Potter", author="JK Rowling", price="25.00", creator=cls.user)
        cls.review = Review.objects.create(book=cls.book, author=cls.user, review="An excellent review")

    def test_book_listing(self):
        self.assertEqual(f"{self.book.title}", "Harry Potter")
        self.assertEqual(f"{self.book.author}", "JK Rowling")
        self.assertEqual(f"{self.book.price}", "25.00")
        self.assertEqual(self.book.get_absolute_url(), f"/books/{self.book.pk}/")

    def test_book_list_view(self):
        response = self.client.get(reverse("book_list"))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Harry Potter")
        self.assertTemplateUsed(response, "books/book_list.html")

    def test_book_detail_view_for_a_visitor(self):
        response = self.client.get(self.book.get_absolute_url())
        no_response = self.client.get("/books/12345/")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(no_response.status_code, 404)
        self.assertContains(response, "Harry Potter")
        self.assertContains(response, "An excellent review")
        self.assertContains(response, "Leave a Review")
        self.assertContains(response, "Submit Review")
        self.assertTemplateUsed(response, "books/book_detail.html")

    def test_book_detail_view_for_a_member(self):
        self.client.login(email="reviewuser@email.com", password="testpass123")
        response = self.client.get(self.book.get_absolute_url())
        self.assertContains(response, "Leave a Review")
        self.assertContains(response, "Submit Review")

    def test_review_post_redirects_to_the_book(self):
        self.client.login(username="reviewuser", password="testpass123")
        response = self.client.post(reverse("review_create", args=[self.book.pk]), {"review": "A second look"})
        self.assertEqual(response.status_code, 302)
        self.assertEqual(response["Location"], self.book.get_absolute_url())
        self.assertEqual(Review.objects.last().review, "A second look")

    def test_review_post_while_logged_out_writes_nothing(self):
        response = self.client.post(reverse("review_create", args=[self.book.pk]), {"review": "Sneaky"})
        self.assertRedirects(response, f"{reverse('account_login')}?next={self.book.get_absolute_url()}")
        self.assertEqual(Review.objects.count(), 1)

    def test_book_create_requires_log_in(self):
        response = self.client.get(reverse("book_create"))
        self.assertRedirects(response, f"{reverse('account_login')}?next={reverse('book_create')}")

    def test_book_create_by_a_member(self):
        self.client.login(username="reviewuser", password="testpass123")
        dune = {"title": "Dune", "author": "Frank Herbert", "price": "9.99"}
        response = self.client.post(reverse("book_create"), dune)
        book = Book.objects.get(title="Dune")
        self.assertRedirects(response, book.get_absolute_url())
        self.assertEqual(book.creator, self.user)

    def test_only_the_creator_may_update_or_delete(self):
        get_user_model().objects.create_user(username="other", email="other@email.com", password="testpass123")
        self.client.login(username="other", password="testpass123")
        for name in ("book_update", "book_delete"):
            self.assertEqual(self.client.get(reverse(name, args=[self.book.pk])).status_code, 403)
        self.assertTrue(Book.objects.filter(pk=self.book.pk).exists())

    def test_creator_deletes_the_book_and_its_reviews(self):
        self.client.login(username="reviewuser", password="testpass123")
        response = self.client.post(reverse("book_delete", args=[self.book.pk]))
        self.assertRedirects(response, reverse("book_list"))
        self.assertFalse(Book.objects.exists())
        self.assertFalse(Review.objects.exists())
