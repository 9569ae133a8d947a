"""Write the fault corpus to a folder: ``python tools/fault_corpus.py OUT_DIR [--variants N] [--seed S]``.

Images go to ``OUT_DIR/image``, audio to ``OUT_DIR/audio``, video to ``OUT_DIR/video``; ``--variants N``
adds N seeded corrupted copies of the good files of each modality (``OUT_DIR/<modality>_var``). Texts and
vectors live in memory (``junco.testing.fault_corpus.text_cases`` / ``vector_cases``).
"""

from __future__ import annotations

import argparse
import collections
from pathlib import Path

from junco.testing.fault_corpus import make_audio_corpus, make_corpus, make_video_corpus, mutations


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("folder", help="where to write the corpus")
    ap.add_argument("--variants", type=int, default=0, help="seeded corrupted copies per modality")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--images-only", action="store_true", help="only the image corpus, straight into folder")
    args = ap.parse_args(argv)
    root = Path(args.folder)
    if args.images_only:
        cases = make_corpus(root)
    else:
        cases = []
        for name, make in (("image", make_corpus), ("audio", make_audio_corpus), ("video", make_video_corpus)):
            named = make(root / name)
            cases += named
            if args.variants:
                cases += mutations(named, root / f"{name}_var", args.variants, seed=args.seed)
    for (modality, kind), n in sorted(collections.Counter((c.modality, c.kind) for c in cases).items()):
        print(f"{modality:6s} {kind:24s} {n}")
    print(f"{len(cases)} files written to {args.folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
