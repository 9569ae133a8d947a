"""Audio operators: ``audio-decode/*`` (soundfile, PyAV, auto) and ``audio-embedding/*``.

- ``audio-embedding/resemblyzer`` (default): speaker embeddings, 256-d, Apache-2.0.
- ``audio-embedding/birdnet`` (opt-in): general-audio embeddings, 1024-d, **CC BY-NC-SA 4.0
  (non-commercial)** — it warns when it loads.

Importing this module registers them; heavy libraries (torch, soundfile, av, the TFLite runtime)
import when an operator first runs.

Example:
    >>> from junco import ops
    >>> sorted(n for n in dir(ops.audio_decode))
    ['auto', 'av', 'soundfile']
"""

from junco.ops.audio._birdnet import BirdNetEmbedding, NonCommercialLicenseWarning
from junco.ops.audio._clip import AudioClip, AudioDecodeError, SilentAudioError, resample, to_mono, windows
from junco.ops.audio._decode import AudioDecoder, AutoDecode, AvDecode, SoundfileDecode
from junco.ops.audio._speaker import ResemblyzerEmbedding
from junco.ops.audio._speaker_pre import SpeakerPreprocess

__all__ = [
    "AudioClip",
    "AudioDecodeError",
    "AudioDecoder",
    "AutoDecode",
    "AvDecode",
    "BirdNetEmbedding",
    "NonCommercialLicenseWarning",
    "ResemblyzerEmbedding",
    "SilentAudioError",
    "SoundfileDecode",
    "SpeakerPreprocess",
    "resample",
    "to_mono",
    "windows",
]
