"""Fine-tuning a text embedding operator (packaged all-MiniLM-L6-v2): metric learning, then a classifier."""

import numpy as np
import pytest

from junco import ops, pipe

FOOD = ["the soup was delicious", "a tasty dinner with friends", "fresh bread and cheese", "we cooked pasta tonight",
        "the cake tasted great", "spicy noodles for lunch", "a bowl of warm rice", "grilled fish with lemon"]
TRAVEL = ["the train was late again", "my bike has a flat tire", "traffic on the highway", "the bus stop is far",
          "we missed our flight", "a car parked outside", "the subway was crowded", "riding a scooter to work"]


def test_text_operator_trains_in_place(cfg):
    pytest.importorskip("sentence_transformers")
    data = [(s, "food") for s in FOOD] + [(s, "travel") for s in TRAVEL]
    train, val = data[::2], data[1::2]
    op = ops.text_embedding.sentence_transformers(backend="torch")
    p = pipe.input("text").map("text", "vec", op).output("vec")
    before = p("a sandwich")[0]
    r = op.train(cfg(task="metric_learning", batch_size=4, epoch_num=2, lr=1e-3), train_dataset=train,
                 eval_dataset=val)
    assert r.metric("val/map") >= r.baseline["val/map"] and r.metric("val/loss") < r.baseline["val/loss"]
    after = p("a sandwich")[0]
    assert after.shape == (384,) and np.abs(after - before).max() > 1e-3
    clf = op.train(cfg(batch_size=4, epoch_num=2, lr=1e-3, output_dir=str(r.output_dir) + "_clf"),
                   train_dataset=train, eval_dataset=val, unlabeled_dataset=["hot soup", "a taxi ride"])
    assert clf.metric("val/loss") < clf.baseline["val/loss"] and clf.best_value >= 0.75
    assert any("new linear head" in n for n in clf.notes)
