"""Pure media work for the pipeline: photo and video renditions, probes and placeholders.

No AWS and no database here: functions take a local file (a video also an HTTP URL, read with
range requests) and an output folder, and either return a description of the files they wrote
or raise UnprocessableMedia (the upload's fault, permanent). SourceUnavailable (a URL that could
not be read) and anything else that escapes is a bug or an outage, and worth a retry.
"""

from boulderstat.imaging.errors import SourceUnavailable, UnprocessableMedia
from boulderstat.imaging.outputs import PhotoOutput, RenditionFile, VideoOutput, VideoProbe
from boulderstat.imaging.photo import process_photo
from boulderstat.imaging.video import RemoteVideo, make_web_rendition, probe_video, process_video

__all__ = [
    "PhotoOutput",
    "RemoteVideo",
    "RenditionFile",
    "SourceUnavailable",
    "UnprocessableMedia",
    "VideoOutput",
    "VideoProbe",
    "make_web_rendition",
    "probe_video",
    "process_photo",
    "process_video",
]
