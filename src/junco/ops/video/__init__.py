"""Video operators: ``video-decode/av`` (frames by rate or scene change, with timestamps) and
``video-embedding/*`` (frame embeddings from an image model, pooled over time).

Importing this module registers them; PyAV and the image model load when an operator first runs.

Example:
    >>> from junco import ops
    >>> sorted(dir(ops.video_embedding))
    ['frames', 'pool']
"""

from junco.ops.video._decode import SAMPLE_MODES, VideoDecode, VideoDecodeError, scene_score
from junco.ops.video._embedding import FrameEmbeddings, VideoFrameEmbedding, image_operator, temporal_pool

__all__ = [
    "SAMPLE_MODES",
    "FrameEmbeddings",
    "VideoDecode",
    "VideoDecodeError",
    "VideoFrameEmbedding",
    "image_operator",
    "scene_score",
    "temporal_pool",
]
