"""Run by test_ddp.py under ``torchrun --nproc_per_node=2`` (Gloo on CPU)."""

import json
import sys
import warnings

import torch
from sklearn.datasets import load_digits

from junco.trainer import TrainingConfig, train_model

warnings.simplefilter("ignore")
torch.set_num_threads(1)
x, y = load_digits(return_X_y=True)
x = (x / 16).astype("float32").reshape(-1, 1, 8, 8)
torch.manual_seed(0)
net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 32), torch.nn.ReLU())
cfg = TrainingConfig(batch_size=16, epoch_num=2, lr=1e-2, output_dir=sys.argv[1], plots=False, tensorboard=False,
                     progress_bar=False)
r = train_model(net, cfg, train_dataset=(x[:320], y[:320].tolist()), eval_dataset=(x[400:600], y[400:600].tolist()))
w = float(sum(p.detach().sum() for p in r.trainer.task.net.parameters()))
print(json.dumps({"rank": int(torch.distributed.get_rank()), "steps": r.trainer.global_step,
                  "acc": r.history[-1]["val/accuracy"], "wsum": w}))
