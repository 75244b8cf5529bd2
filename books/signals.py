from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Book, Review


@receiver(post_save, sender=Review)
@receiver(post_delete, sender=Review)
def keep_review_stats_current(sender, instance, origin=None, **kwargs):
    """Keep a book's review count and average rating true whichever way a review is written."""
    if isinstance(origin, Book):
        return  # the book itself is being deleted: nothing left to keep current
    instance.book.refresh_review_stats()
