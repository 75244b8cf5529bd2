from .pipeline import EncodedImage, ProcessedCover, process_cover

__all__ = ["EncodedImage", "ProcessedCover", "process_cover"]
