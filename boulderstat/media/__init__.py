"""Media lifecycle: upload grants, ingest checks, the media document and its read/delete API.

The thumbnail function (the back half of the pipeline) builds on `repository.MediaRepository`.
"""
