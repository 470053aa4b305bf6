"""Active learning and fine-tuning: heads over embeddings, review queues, backbone training.

No Qt, no SQLite; may import ``inference``, never ``labeler``.
"""
