"""The MNIST CNN of chapter 16, trained with one recipe; evaluated several times per epoch.

The quick configuration is what the chapter trains live (a CPU, seconds); the full one uses
every training image for 10 epochs and is recorded in results/mnist.json. Offline, MNIST is
the course's subset of real digits (8,000 + 2,000, not the official split), and says so.
"""

from __future__ import annotations

from cnnlib.experiments import Config, Result, experiment


def history_rows(history) -> list[dict[str, float]]:
    """A `fit` history as JSON-able rows with a few digits (what a record stores)."""
    return [{key: round(value, 4) for key, value in row.items()} for row in history.epochs]


def run(config: Config) -> Result:
    """Train `mnist_cnn` on MNIST with `config`; the learning curve and the final accuracy."""
    from cnnlib.data import load_images
    from cnnlib.models import build_model
    from cnnlib.runtime import seed_everything
    from cnnlib.train import fit

    train_data = load_images("mnist", train=True, limit=config["train_images"])
    test_data = load_images("mnist", train=False, limit=config["test_images"])
    seed_everything(config["seed"])
    history = fit(build_model("mnist_cnn"), train_data, test_data, epochs=config["epochs"],
                  lr=config["lr"], batch_size=config["batch_size"], seed=config["seed"],
                  evals_per_epoch=config["evals_per_epoch"], progress=False, verbose=False,
                  name="mnist_cnn")
    return {"epochs": history_rows(history), "test_acc": round(history.test_acc, 4),
            "data": train_data.name, "note": train_data.note,
            "train_images": len(train_data), "test_images": len(test_data)}


QUICK = {"train_images": 2000, "test_images": 1000, "epochs": 2, "lr": 2e-3, "batch_size": 128,
         "evals_per_epoch": 4, "seed": 0}
FULL = {**QUICK, "train_images": None, "test_images": None, "epochs": 4, "evals_per_epoch": 2}

experiment("mnist", quick=QUICK, full=FULL, chapter="16_mnist_cnn",
           about="the 4-conv batch-norm MNIST CNN: learning curves")(run)
