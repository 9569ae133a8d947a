"""The torchvision import fix: CUDA torchvision wheels import on CPU torch; nothing changes elsewhere."""

import subprocess
import sys
import textwrap

import torch

from junco._compat import install
from junco._compat.torchvision import _Finder, define_missing_ops, nms


def test_import_junco_is_light_and_timm_imports_after_it():
    code = textwrap.dedent("""
        import sys, junco
        assert "torch" not in sys.modules, "import junco must not import torch"
        import timm, torch, torchvision  # raised 'torchvision::nms does not exist' before
        keep = torch.ops.torchvision.nms(torch.tensor([[0., 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30]]),
                                         torch.tensor([0.9, 0.8, 0.7]), 0.5)
        print(keep.tolist())
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[0, 2]"


def test_install_is_idempotent():
    install()
    install()
    assert sum(isinstance(f, _Finder) for f in sys.meta_path) == 1


def test_schemas_exist_once_and_a_second_definition_is_a_no_op():
    import torchvision  # noqa: F401  (through the hook)

    assert define_missing_ops() is False  # already defined (by the hook, or by a real extension)


def test_pure_torch_nms_matches_greedy_definition():
    g = torch.Generator().manual_seed(0)
    xy = torch.rand(50, 2, generator=g) * 100
    boxes = torch.cat([xy, xy + 10 + torch.rand(50, 2, generator=g) * 20], 1)
    scores = torch.rand(50, generator=g)
    keep = nms(boxes, scores, 0.3)
    kept = boxes[keep]
    # no two kept boxes overlap above the threshold, and scores come out sorted
    for i in range(len(kept)):
        for j in range(i + 1, len(kept)):
            lt = torch.maximum(kept[i, :2], kept[j, :2])
            rb = torch.minimum(kept[i, 2:], kept[j, 2:])
            inter = (rb - lt).clamp(min=0).prod()
            area = lambda b: (b[2:] - b[:2]).prod()  # noqa: E731
            assert inter / (area(kept[i]) + area(kept[j]) - inter) <= 0.3
    assert torch.all(scores[keep][:-1] >= scores[keep][1:])
    assert nms(torch.empty(0, 4), torch.empty(0), 0.5).numel() == 0
