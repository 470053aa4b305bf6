"""Models and prediction: loading weights safely, ONNX/torch backends, preprocessing, pipelines.

No Qt, no SQLite; never imports ``training`` or ``labeler``.
"""
